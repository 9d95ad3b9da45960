// Two-covariance PLDA on speaker embeddings (training side; the scoring lives in src/biometrics/voice/score.ts).
//
// Model: an embedding x = m + s + e, speaker s ~ N(0, B), session/segment e ~ N(0, W). One linear map T
// (simultaneous diagonalisation) makes W = I and B = diag(psi); in that space the log-likelihood ratio "same
// speaker vs different speakers" of two embeddings is a sum of independent per-dimension terms, so scoring needs
// only psi. Why: cosine treats every LDA direction alike; PLDA weighs each direction by how much it separates
// speakers relative to how much it wobbles within one speaker.
import { symmetricEigen, matmul, transpose } from "./linalg";
import type { Utt } from "./lda";
import { projectStats, type LinearProjection } from "../../src/biometrics/voice/projection";
import type { VoicePlda } from "../../src/biometrics/voice/score";

export interface PldaFit {
  dim: number;
  /** Subtract before transforming. */
  mean: Float64Array;
  /** Row-major [dim, dim]: u = (x - mean) T. */
  transform: Float64Array;
  /** Between-speaker variances in the transformed space (within = 1), descending. */
  psi: Float64Array;
}

/** Fits PLDA by moments on `groups` (one array of vectors per speaker; speakers weighted equally). */
export function fitPlda(all: ArrayLike<number>[][]): PldaFit {
  // A speaker needs two vectors to say anything about within-speaker spread.
  const groups = all.filter((g) => g.length >= 2);
  const d = groups[0]![0]!.length;
  const means = groups.map((g) => {
    const m = new Float64Array(d);
    for (const v of g) for (let i = 0; i < d; i++) m[i] = m[i]! + v[i]! / g.length;
    return m;
  });
  const mean = new Float64Array(d);
  for (const m of means) for (let i = 0; i < d; i++) mean[i] = mean[i]! + m[i]! / means.length;
  const w = new Float64Array(d * d);
  const b = new Float64Array(d * d);
  groups.forEach((g, k) => {
    const m = means[k]!;
    for (const v of g) {
      for (let i = 0; i < d; i++) {
        const ai = (v[i]! - m[i]!) / g.length / groups.length;
        for (let j = 0; j < d; j++) w[i * d + j] = w[i * d + j]! + ai * (v[j]! - m[j]!);
      }
    }
    for (let i = 0; i < d; i++) {
      const ai = (m[i]! - mean[i]!) / groups.length;
      for (let j = 0; j < d; j++) b[i * d + j] = b[i * d + j]! + ai * (m[j]! - mean[j]!);
    }
  });
  const ew = symmetricEigen(w, d);
  const white = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) white[i * d + j] = ew.vectors[i * d + j]! / Math.sqrt(Math.max(ew.values[j]!, 1e-10));
  const bw = matmul(matmul(transpose(white, d, d), b, d, d, d), white, d, d, d);
  const eb = symmetricEigen(bw, d);
  const transform = matmul(white, eb.vectors, d, d, d);
  const psi = Float64Array.from(eb.values, (v) => Math.max(v, 1e-6));
  return { dim: d, mean, transform, psi };
}

/**
 * The shipped recipe: PLDA on the projected (L2-normalised LDA) embeddings of each background speaker's 2 s
 * segments (clean and Opus, the LDA's training data) plus the 3 s halves (clean, clean, Opus) that match the
 * service's clip length. Chosen on background CV (bench/voice-plda.ts): adding the halves is what made PLDA win
 * at the `high` operating point on every speaker partition; segments alone gained less and not consistently.
 */
export function fitVoicePlda(utts: Utt[], proj: LinearProjection): VoicePlda {
  const groups = utts.map((u) => [...u.segments, u.halves[0], u.halves[1], u.codecHalf].map((x) => projectStats(x, proj)));
  const p = fitPlda(groups);
  return { mean: Float32Array.from(p.mean), transform: Float32Array.from(p.transform), psi: Float32Array.from(p.psi) };
}
