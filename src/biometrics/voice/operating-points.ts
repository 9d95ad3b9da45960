// Voice security levels (src/biometrics/security-level.ts). Decide on the cohort-normalised score of
// scoreVoice() (score.ts), never on the raw cosine: accept when `normalised >= threshold`.
//
// Chosen and measured by `npx tsx bench/voice-levels.ts` (BENCHMARKS.md "Voice"). Each threshold is the score at
// which the level's false-match rate is reached among impostor trials of 5-fold speaker-disjoint cross-validation
// on the 251 background speakers (projection and cohort fitted without the scored speakers). `measured` is
// cross-fitted: each fold scored at a threshold chosen on the other four folds. That protocol (3 s enrolment vs
// a 3 s probe, clean or Opus) is harder than the service's (3 enrolment clips of several seconds): on the 5
// held-out eval speakers, 3-clip enrolment and single-clip probes, `high` measured FMR 0.15 % [0.05, 0.44]
// (3/2000) at FNMR 0.57 % [0.16, 2.06] (2/350), `standard` FMR 1.80 % [1.30, 2.48] at FNMR 0.29 % (those
// intervals assume independent trials; 5 speakers make them optimistic).
// Valid for model trustid-voice-lda-v1 with wasm-models/voice-cohort.json only: rerun the bench after retraining.
import type { OperatingPoints } from "../security-level";

export const VOICE_OPERATING_POINTS_MODEL_ID = "trustid-voice-lda-v1";

export const VOICE_OPERATING_POINTS: OperatingPoints = {
  // Rule: FMR 0.5 % on the calibration speakers, so that the held-out rate stays under the 1 % target.
  high: {
    decideOn: "similarity",
    threshold: 1.96,
    measured: {
      fmr: { rate: 0.00506, ci95: [0.00425, 0.00603], errors: 125, trials: 24700 },
      fnmr: { rate: 0.12749, ci95: [0.10112, 0.15952], errors: 64, trials: 502 },
      protocol: "background CV, 251 speakers, 5 folds, threshold from the other folds (FMR 0.5 % rule); 3 s enrolment vs 3 s probe, clean + Opus",
    },
  },
  // Rule: FMR 2 % on the calibration speakers: fewer students asked to repeat, more tolerance for strangers.
  standard: {
    decideOn: "similarity",
    threshold: 0.841,
    measured: {
      fmr: { rate: 0.02045, ci95: [0.01875, 0.02229], errors: 505, trials: 24700 },
      fnmr: { rate: 0.06972, ci95: [0.05056, 0.09542], errors: 35, trials: 502 },
      protocol: "background CV, 251 speakers, 5 folds, threshold from the other folds (FMR 2 % rule); 3 s enrolment vs 3 s probe, clean + Opus",
    },
  },
};
