// Thresholds of the face pipeline, in one place; MODELS.md and BENCHMARKS.md say how they were chosen.
export const FACE_MODEL_ID = "faceplugin-0.0.1-int8-v1";

export const FACE_POLICY = {
  /** Longer side of the working copy; detection runs at 320x240 and the aligned crop is 112x112. */
  workingMaxSide: 800,
  /** Minimum detector score for a face. */
  detectMinScore: 0.7,
  /** Border added on each side for the tight-crop retry. */
  retryPadFraction: 0.3,
  /** A second face counts when its score and its height relative to the chosen face reach these. */
  secondFaceMinScore: 0.9,
  secondFaceMinRelativeSize: 0.5,
  /** Below this detector score a second face must also be a face to the embedder (minEmbeddingNorm). */
  secondFaceSureScore: 0.95,
  /** Smaller faces (shorter box side in original pixels) are refused as face_too_small. */
  minFaceSidePx: 40,
  /** Raw embedding length below this is not a face (faces 2.6-4.8, a non-face about 1.4). */
  minEmbeddingNorm: 2.0,
  /** P(live) at or above this passes. */
  livenessThreshold: 0.5,
  // The match threshold is the security level's (operating-points.ts: high 0.44, standard 0.36).
  /**
   * Enrolment images must agree with each other at least this much (pairwise cosine). 0.27 is the 1st
   * percentile of genuine photo pairs on the LFW calibration half (bench/face-calibration.ts): about 1 % of a
   * person's photo pairs fall below it (1.35 % on the report half) and 2.5 % of 3-photo enrolments are refused
   * (5.4 % at the former 0.38), while 99.4 % of pairs of two different people still disagree. Verification,
   * not this check, is what keeps impostors out; this only catches a stranger's photo in the enrolment set.
   */
  enrolAgreement: 0.27,
  /**
   * A face whose sharpness (pipeline.ts sharpnessOf) is under this looks blurred: a refusal says so (wording only,
   * never the decision). Under 1 % of sharp LFW faces (1st percentile 0.080) and about three quarters of faces blurred
   * by 2 % of their height (median 0.044) are under it (bench/face-blur.ts).
   */
  blurredBelow: 0.06,
  /**
   * A face whose blockiness (pipeline.ts blockinessOf) is above this looks heavily compressed: a refusal says so
   * (wording only). Between the shipped LFW photos' highest (1.40) and quality 15's lowest (1.82).
   */
  compressedAbove: 1.6,
} as const;
