// Face + voice fusion for oral exams (monitoring_face_oral, issue 16 part 5).
//
// The two scores live on different scales (face: a cosine around 0.7 for the same person; voice: a
// cohort-normalised score, voice/score.ts). Each is mapped to a log-likelihood ratio by a linear (logistic)
// calibration, llr = slope * score + offset, fitted by bench/fusion.ts on calibration people only; for
// independent modalities the LLRs add, and the sum is the fused score that the operating points threshold.
// Each LLR is clipped to +-LLR_LIMIT so that one modality, however confident, cannot outvote the other
// without bound (a printed photo held to the camera still has to get past the voice).
// Pure maths: the caller passes the face cosine and the voice score it already computed.
import { accepts, type OperatingPoint, type OperatingPoints, type SecurityLevel } from "./security-level";

export interface LinearCalibration {
  /** The model (face) or model + normalisation (voice) whose scores this calibration maps. */
  modelId: string;
  slope: number;
  offset: number;
}

export const LLR_LIMIT = 10;

export const llr = (score: number, c: LinearCalibration): number =>
  Math.max(-LLR_LIMIT, Math.min(LLR_LIMIT, c.slope * score + c.offset));

export interface FusionCalibration {
  face: LinearCalibration;
  voice: LinearCalibration;
}

/** The fused score: face LLR + voice LLR (natural log). Decide on it with FUSION_OPERATING_POINTS. */
export function fuseFaceVoice(faceCosine: number, voiceNormalised: number, cal: FusionCalibration = FUSION_CALIBRATION): number {
  return llr(faceCosine, cal.face) + llr(voiceNormalised, cal.voice);
}

// Fitted and measured by `npx tsx bench/fusion.ts` (BENCHMARKS.md "Face + voice fusion") on CHIMERIC users: 251
// LFW face identities paired at random with the 251 background speakers (no data set has both modalities of the
// same people). Both weights are fitted jointly (linear logistic fusion, class-balanced), so the sum is the LLR.
// Valid only for these two models (face faceplugin-0.0.1-int8-v1 cosine; voice trustid-voice-lda-v2 scored by
// PLDA and normalised by the shipped cohort with top 25): refit after changing either.
export const FUSION_CALIBRATION: FusionCalibration = {
  face: { modelId: "faceplugin-0.0.1-int8-v1", slope: 6.6931, offset: -1.0817 },
  voice: { modelId: "trustid-voice-lda-v2+plda+asnorm25", slope: 0.6658, offset: -1.0817 },
};

// The levels follow the face levels' rules (FMR 0.01 % high, 0.1 % standard on the calibration people), since the
// fused score replaces the face decision of monitoring_face_oral. `measured`: cross-validated over 5 folds of
// chimeric users (calibration and threshold fitted on the other folds), 3 s voice clips, one face image as
// template; the trials reuse each face and voice score several times, so the intervals are optimistic.
const PROTOCOL = "chimeric users (LFW faces x background speakers, random pairing), 5-fold CV, calibration + threshold from the other folds";
export const FUSION_OPERATING_POINTS: OperatingPoints = {
  high: {
    decideOn: "similarity",
    threshold: 1.974,
    measured: {
      fmr: { rate: 0.00016, ci95: [0.0001, 0.00027], errors: 16, trials: 97048 },
      fnmr: { rate: 0.04209, ci95: [0.03408, 0.05188], errors: 83, trials: 1972 },
      protocol: `${PROTOCOL} (FMR 0.01 % rule)`,
    },
  },
  standard: {
    decideOn: "similarity",
    threshold: 0.661,
    measured: {
      fmr: { rate: 0.00114, ci95: [0.00095, 0.00138], errors: 111, trials: 97048 },
      fnmr: { rate: 0.01876, ci95: [0.01364, 0.02575], errors: 37, trials: 1972 },
      protocol: `${PROTOCOL} (FMR 0.1 % rule)`,
    },
  },
};

export interface OralDecision {
  /** "fused" when a voice score was available, else the face alone decided at its own operating point. */
  decidedOn: "fused" | "face";
  score: number;
  threshold: number;
  isMatch: boolean;
}

/**
 * The monitoring_face_oral decision. `voiceNormalised` is null when the student has no voice template, the clip
 * held no speech or no clip was sent: then the face decides alone at `facePoint` (the face level's operating
 * point, passed in because face levels live with the face engine).
 */
export function decideOral(faceCosine: number, voiceNormalised: number | null, level: SecurityLevel, facePoint: OperatingPoint): OralDecision {
  if (voiceNormalised === null) return { decidedOn: "face", score: faceCosine, threshold: facePoint.threshold, isMatch: accepts(facePoint, faceCosine) };
  const point = FUSION_OPERATING_POINTS[level];
  const score = fuseFaceVoice(faceCosine, voiceNormalised);
  return { decidedOn: "fused", score, threshold: point.threshold, isMatch: accepts(point, score) };
}
