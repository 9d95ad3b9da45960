// Keystroke security levels: thresholds on the normalised distance scoreKeystroke / scoreKeystrokeSamples compute
// (1 = as far as the student's own training typings; accept when distance <= threshold). Chosen and measured by
// `npx tsx bench/keystroke-levels.ts` (BENCHMARKS.md, "Keystroke security levels"): each level's rule applied to
// all 40 MEU-Mobile subjects gives the threshold; the measured rates are 5-fold cross-validated by subject
// (threshold chosen by the same rule on 32 subjects, errors counted on the other 8, pooled over the folds), one
// typing per decision. Several typings per decision (their mean distance) lower both rates (BENCHMARKS.md).
// Impostor trials come from 40 x 39 pairs of people, so the FMR intervals (which assume independent trials) are
// narrower than the real uncertainty. The detector variant (model id trustid-keystroke-knn-v3) was itself chosen
// on all 40 subjects; chosen per fold on the calibration subjects instead, the one-typing `standard` rule's held-out
// half total error is 6.09 % (bench/keystroke-variants.ts), the honest figure to quote against a 6 % target.
import type { OperatingPoints } from "../security-level";

const PROTOCOL =
  "MEU-Mobile KSD, 40 subjects, model trained on typings 1-25; genuine = typings 26-51, impostor = every typing of the 39 others; " +
  "one typing per decision; 5-fold cross-validation by subject (threshold chosen on 32, errors on 8, pooled); 95 % Wilson intervals";

export const KEYSTROKE_OPERATING_POINTS: OperatingPoints = {
  // Rule: the largest threshold with FMR <= 3 % on the calibration subjects. Strict for the student: about one
  // typing in 5-6 is refused (one in 11 with 3 typings per decision).
  high: {
    decideOn: "distance",
    threshold: 1.13,
    measured: {
      fmr: { rate: 0.03224, ci95: [0.03103, 0.03349], errors: 2565, trials: 79560 },
      fnmr: { rate: 0.17981, ci95: [0.15766, 0.20431], errors: 187, trials: 1040 },
      protocol: PROTOCOL,
    },
  },
  // Rule: the calibration subjects' equal-error point.
  standard: {
    decideOn: "distance",
    threshold: 1.2,
    measured: {
      fmr: { rate: 0.059, ci95: [0.05738, 0.06066], errors: 4694, trials: 79560 },
      fnmr: { rate: 0.05865, ci95: [0.04593, 0.07462], errors: 61, trials: 1040 },
      protocol: PROTOCOL,
    },
  },
};
