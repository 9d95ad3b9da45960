// Face operating points per security level: cosine similarity of a probe photo's embedding to the student's
// template (L2-normalised mean of the enrolment embeddings); accept when similarity >= threshold.
//
// Generated: the numbers below are copied from the output of
//   npx tsx bench/face-calibration.ts
// (model faceplugin-0.0.1-int8-v1, LFW deep-funneled, 895 identities). Identities sorted by name: even
// indices are the calibration half (thresholds chosen there only), odd indices the report half (figures below).
// Rule: in both protocols (photo pairs, and a 3-photo template against a probe) the threshold where the 95 %
// upper bound of the calibration-half FMR reaches the target, the higher of the two, rounded up to 0.01.
// BENCHMARKS.md "Face calibration (LFW)" and docs/face.md give the tables, the limits (press photos of
// celebrities, not students on webcams; the model may have seen LFW people in training) and the DET curve.
import type { OperatingPoints } from "../security-level";

export const FACE_OPERATING_POINTS: OperatingPoints = {
  /** Target FMR at most 1e-4 (FIDO: FAR <= 1e-4 at FRR <= 3 %). */
  high: {
    decideOn: "similarity",
    threshold: 0.44,
    // Photo against photo on the same people: FMR 0.0046 % (108/2345732; 95 % CI 0.0038 %-0.0056 %), FNMR 6.70 % (366/5464; 95 % CI 6.07 %-7.39 %).
    measured: {
      fmr: { rate: 0.00004297, ci95: [0.00002911, 0.00006343], errors: 25, trials: 581803 },
      fnmr: { rate: 0.01528, ci95: [0.008949, 0.02596], errors: 13, trials: 851 },
      protocol: "LFW deep-funneled, report half (447 identities: odd indices of the sorted names; thresholds chosen on the other 448), template of 3 photos against one probe photo",
    },
  },
  /** Target FMR at most 1e-3: fewer genuine students refused, ten times more impostors accepted. */
  standard: {
    decideOn: "similarity",
    threshold: 0.36,
    // Photo against photo on the same people: FMR 0.0547 % (1282/2345732; 95 % CI 0.0517 %-0.0577 %), FNMR 2.84 % (155/5464; 95 % CI 2.43 %-3.31 %).
    measured: {
      fmr: { rate: 0.0007855, ci95: [0.0007167, 0.0008608], errors: 457, trials: 581803 },
      fnmr: { rate: 0.007051, ci95: [0.003235, 0.01530], errors: 6, trials: 851 },
      protocol: "LFW deep-funneled, report half (447 identities: odd indices of the sorted names; thresholds chosen on the other 448), template of 3 photos against one probe photo",
    },
  },
};
