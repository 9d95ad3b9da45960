// Voice scores: the raw cosine between template and probe, and the same cosine normalised against a cohort of
// background speakers (adaptive symmetric normalisation, "AS-norm").
//
// Why: a raw cosine means different things for different voices. Some templates sit in a crowded part of the
// embedding space (many strangers score high against them), others in an empty one; a single cosine threshold
// therefore lets too many strangers through for the first kind (issue 16: 5 % false matches on unseen
// speakers). AS-norm measures, for both the template and the probe, how high the closest cohort speakers
// score against it (mean and spread of the top-K cohort cosines) and expresses the cosine in those units:
//   normalised = ((raw - mu_t) / sd_t + (raw - mu_p) / sd_p) / 2
// so one threshold on `normalised` gives about the same false-match rate for every template.
// The cohort (embeddings of background speakers, never of students) ships with the model
// (wasm-models/voice-cohort.json); pure maths, no I/O, safe in any Worker.
import { cosine } from "./projection";

export interface VoiceCohort {
  /** Model whose embeddings these are: a cohort only normalises scores of the same model. */
  modelId: string;
  dim: number;
  /** How many of the highest cohort cosines describe an embedding's neighbourhood. */
  topK: number;
  /** One L2-normalised embedding per background speaker. */
  embeddings: Float32Array[];
}

export interface CohortStats {
  mean: number;
  std: number;
}

export interface VoiceScore {
  /** Cosine of template and probe, in [-1, 1]. */
  raw: number;
  /** Cohort-normalised score (about N(0,1) for strangers); the service decides on this. */
  normalised: number;
}

/** Mean and standard deviation of the `topK` highest cosines of `e` against the cohort. */
export function cohortStats(e: Float32Array, cohort: VoiceCohort): CohortStats {
  const scores = cohort.embeddings.map((c) => cosine(e, c)).sort((a, b) => b - a);
  const top = scores.slice(0, Math.max(2, Math.min(cohort.topK, scores.length)));
  const mean = top.reduce((a, b) => a + b, 0) / top.length;
  const variance = top.reduce((a, b) => a + (b - mean) ** 2, 0) / (top.length - 1);
  // A floor keeps a degenerate cohort (all equal scores) from dividing by zero.
  return { mean, std: Math.max(Math.sqrt(variance), 1e-3) };
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
  const ts = templateStats ?? cohortStats(t, cohort);
  const ps = cohortStats(p, cohort);
  return { raw, normalised: ((raw - ts.mean) / ts.std + (raw - ps.mean) / ps.std) / 2 };
}
