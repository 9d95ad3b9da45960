// Voice security levels (src/biometrics/security-level.ts). Decide on the cohort-normalised score of
// scoreVoice() (score.ts: PLDA log-likelihood ratio, AS-normalised), never on the raw cosine: accept when
// `normalised >= threshold`.
//
// Chosen and measured by `npx tsx bench/voice-levels.ts` (BENCHMARKS.md "Voice"). Each threshold is the score at
// which the level's false-match rate is reached among impostor trials of 5-fold speaker-disjoint cross-validation
// on the 251 background speakers (projection, PLDA and cohort fitted without the scored speakers). `measured` is
// cross-fitted: each fold scored at a threshold chosen on the other four folds. That protocol (3 s enrolment vs
// a 3 s probe, clean or Opus) is harder than the service's (3 enrolment clips of several seconds): on the 5
// held-out eval speakers, 3-clip enrolment and single-clip probes, `high` measured FMR 0 % [0, 0.19] (0/2000)
// at FNMR 0.86 % [0.29, 2.49] (3/350), `standard` FMR 0.15 % [0.05, 0.44] at FNMR 0.29 % (those intervals
// assume independent trials; 5 speakers make them optimistic).
// Valid for model trustid-voice-lda-v2 with the scoring file wasm-models/voice-cohort.json (scoring
// plda+asnorm25) only: rerun the bench after retraining.
import type { OperatingPoints } from "../security-level";

export const VOICE_OPERATING_POINTS_MODEL_ID = "trustid-voice-lda-v2";

export const VOICE_OPERATING_POINTS: OperatingPoints = {
  // Rule: FMR 0.5 % on the calibration speakers, so that the held-out rate stays under the 1 % target.
  high: {
    decideOn: "similarity",
    // 2.082 until the recording level was brought into the trained range (features.ts): the same rule then gave 2.079.
    threshold: 2.079,
    measured: {
      fmr: { rate: 0.00538, ci95: [0.00455, 0.00638], errors: 133, trials: 24700 },
      fnmr: { rate: 0.10159, ci95: [0.07812, 0.13112], errors: 51, trials: 502 },
      protocol: "background CV, 251 speakers, 5 folds, threshold from the other folds (FMR 0.5 % rule); 3 s enrolment vs 3 s probe, clean + Opus",
    },
  },
  // Rule: FMR 2 % on the calibration speakers: fewer students asked to repeat, more tolerance for strangers.
  standard: {
    decideOn: "similarity",
    threshold: 0.954,
    measured: {
      fmr: { rate: 0.02053, ci95: [0.01883, 0.02237], errors: 507, trials: 24700 },
      fnmr: { rate: 0.05976, ci95: [0.04218, 0.08403], errors: 30, trials: 502 },
      protocol: "background CV, 251 speakers, 5 folds, threshold from the other folds (FMR 2 % rule); 3 s enrolment vs 3 s probe, clean + Opus",
    },
  },
};
