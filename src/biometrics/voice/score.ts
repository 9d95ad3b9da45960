// Voice scores: how alike template and probe are (PLDA log-likelihood ratio, or the cosine for a cohort without
// PLDA), normalised against a cohort of background speakers (adaptive symmetric normalisation, "AS-norm").
//
// Why PLDA: cosine weighs every LDA direction alike. Two-covariance PLDA (fitted on background speakers by
// scripts/train-voice.mjs, scripts/voice/plda.ts) knows, per direction, how much voices differ and how much one
// voice wobbles between segments and codecs, and scores "same speaker vs two speakers" as a likelihood ratio. On
// background cross-validation it cut the genuine rejections at the `high` level's false-match rate (BENCHMARKS.md
// "Voice"). The model is stored diagonalised: u = (e - mean) T has within-speaker covariance I and between-speaker
// covariance diag(psi), so the ratio is a sum of independent per-dimension terms.
//
// Why AS-norm: a raw score means different things for different voices. Some templates sit in a crowded part of
// the embedding space (many strangers score high against them), others in an empty one. AS-norm measures, for both
// the template and the probe, how high the closest cohort speakers score against it (mean and spread of the top-K
// cohort scores) and expresses the score in those units:
//   normalised = ((s - mu_t) / sd_t + (s - mu_p) / sd_p) / 2
// so one threshold on `normalised` gives about the same false-match rate for every template.
// The cohort (embeddings of background speakers, never of students) ships with the model
// (wasm-models/voice-cohort.json); pure maths, no I/O, safe in any Worker.
import { cosine } from "./projection";

/** Two-covariance PLDA in diagonalised form (see above). */
export interface VoicePlda {
  mean: Float32Array;
  /** Row-major [dim, dim]. */
  transform: Float32Array;
  /** Between-speaker variance per transformed dimension (within-speaker variance is 1). */
  psi: Float32Array;
}

export interface VoiceCohort {
  /** Model whose embeddings these are: a cohort only normalises scores of the same model. */
  modelId: string;
  dim: number;
  /** How many of the highest cohort scores describe an embedding's neighbourhood. */
  topK: number;
  /** One L2-normalised embedding per background speaker. */
  embeddings: Float32Array[];
  /** When present, scores are PLDA log-likelihood ratios; otherwise cosines. */
  plda?: VoicePlda;
}

export interface CohortStats {
  mean: number;
  std: number;
}

export interface VoiceScore {
  /** Cosine of template and probe, in [-1, 1] (reported; not decided on). */
  raw: number;
  /** Cohort-normalised score (about N(0,1) for strangers); the service decides on this. */
  normalised: number;
}

/** u = (e - mean) T: the PLDA space. */
export function pldaSpace(e: ArrayLike<number>, plda: VoicePlda): Float64Array {
  const d = plda.psi.length;
  const u = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const x = e[i]! - plda.mean[i]!;
    const row = i * d;
    for (let j = 0; j < d; j++) u[j] = u[j]! + x * plda.transform[row + j]!;
  }
  return u;
}

/**
 * log p(x, y | same speaker) - log p(x, y | different speakers) for x, y in the PLDA space. Per dimension, with
 * p = psi: the pair is N(0, [[1+p, p], [p, 1+p]]) when one speaker and N(0, (1+p) I) when two, which gives
 *   p/(1+2p) xy - p^2 / (2 (1+p)(1+2p)) (x^2 + y^2) + log((1+p)^2 / (1+2p)) / 2.
 */
export function pldaLlr(x: ArrayLike<number>, y: ArrayLike<number>, psi: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < psi.length; i++) {
    const p = psi[i]!;
    const q = 1 + 2 * p;
    s += (p / q) * x[i]! * y[i]! - ((p * p) / (2 * (1 + p) * q)) * (x[i]! * x[i]! + y[i]! * y[i]!) + 0.5 * Math.log(((1 + p) * (1 + p)) / q);
  }
  return s;
}

// The cohort in the PLDA space, computed once per cohort object (the shipped one lives for the isolate).
const pldaCohorts = new WeakMap<VoiceCohort, Float64Array[]>();
function cohortInPlda(cohort: VoiceCohort, plda: VoicePlda): Float64Array[] {
  let c = pldaCohorts.get(cohort);
  if (!c) pldaCohorts.set(cohort, (c = cohort.embeddings.map((e) => pldaSpace(e, plda))));
  return c;
}

/** The cohort's scores against `e` (already in the cohort's scoring space: PLDA when the cohort has it). */
function cohortScores(e: ArrayLike<number>, cohort: VoiceCohort): number[] {
  const { plda } = cohort;
  if (!plda) {
    const v = Float32Array.from(e);
    return cohort.embeddings.map((c) => cosine(v, c));
  }
  return cohortInPlda(cohort, plda).map((c) => pldaLlr(e, c, plda.psi));
}

function topStats(scores: number[], topK: number): CohortStats {
  const top = scores.sort((a, b) => b - a).slice(0, Math.max(2, Math.min(topK, scores.length)));
  const mean = top.reduce((a, b) => a + b, 0) / top.length;
  const variance = top.reduce((a, b) => a + (b - mean) ** 2, 0) / (top.length - 1);
  // A floor keeps a degenerate cohort (all equal scores) from dividing by zero.
  return { mean, std: Math.max(Math.sqrt(variance), 1e-3) };
}

/** Mean and standard deviation of the `topK` highest scores of embedding `e` against the cohort. */
export function cohortStats(e: ArrayLike<number>, cohort: VoiceCohort): CohortStats {
  return topStats(cohortScores(cohort.plda ? pldaSpace(e, cohort.plda) : e, cohort), cohort.topK);
}

/**
 * Scores a probe embedding against a template embedding (both of `cohort.modelId`). `templateStats` may be
 * passed when computed once at enrolment (it only depends on the template); otherwise it is computed here.
 */
export function scoreVoice(template: ArrayLike<number>, probe: ArrayLike<number>, cohort: VoiceCohort, templateStats?: CohortStats): VoiceScore {
  const t = Float32Array.from(template);
  const p = Float32Array.from(probe);
  if (t.length !== cohort.dim || p.length !== cohort.dim) throw new RangeError(`voice embeddings must have ${cohort.dim} dimensions`);
  const raw = cosine(t, p);
  const { plda } = cohort;
  const tu = plda ? pldaSpace(t, plda) : t;
  const pu = plda ? pldaSpace(p, plda) : p;
  const s = plda ? pldaLlr(tu, pu, plda.psi) : raw;
  const ts = templateStats ?? topStats(cohortScores(tu, cohort), cohort.topK);
  const ps = topStats(cohortScores(pu, cohort), cohort.topK);
  return { raw, normalised: ((s - ts.mean) / ts.std + (s - ps.mean) / ps.std) / 2 };
}
