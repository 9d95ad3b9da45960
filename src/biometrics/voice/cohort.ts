// The scoring file shipped with the voice model: one embedding per background speaker (the score-normalisation
// cohort; ../shared/data/voice/background, never a student) and the PLDA fitted on the same speakers, written by
// `node scripts/train-voice.mjs` into wasm-models/voice-cohort.json. score.ts uses it; see there for why.
import cohortJson from "../../../wasm-models/voice-cohort.json";
import type { VoiceCohort } from "./score";

/** Top-K of the adaptive normalisation, chosen by background cross-validation (BENCHMARKS.md "Voice"). */
export const VOICE_COHORT_TOP_K = 25;
/** Names what the service decides on, beside the model id (fusion calibrations and the scoring file carry it). */
export const VOICE_SCORING = `plda+asnorm${VOICE_COHORT_TOP_K}`;

export interface VoiceCohortJson {
  modelId: string;
  dim: number;
  count: number;
  topK: number;
  /** `count` x `dim` little-endian float32. */
  float32Base64: string;
  /** Same encoding: mean [dim], transform [dim, dim] row-major, psi [dim]. Absent: scores are cosines. */
  plda?: { mean: string; transform: string; psi: string };
}

function float32s(base64: string, expected: number, what: string): Float32Array {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const all = new Float32Array(bytes.buffer);
  if (all.length !== expected) throw new RangeError(`voice cohort: ${what} size does not match its header`);
  return all;
}

export function parseVoiceCohort(json: VoiceCohortJson): VoiceCohort {
  const { dim } = json;
  const all = float32s(json.float32Base64, json.count * dim, "embeddings");
  const embeddings = Array.from({ length: json.count }, (_, i) => all.subarray(i * dim, (i + 1) * dim));
  const plda = json.plda && {
    mean: float32s(json.plda.mean, dim, "PLDA mean"),
    transform: float32s(json.plda.transform, dim * dim, "PLDA transform"),
    psi: float32s(json.plda.psi, dim, "PLDA psi"),
  };
  return { modelId: json.modelId, dim, topK: json.topK, embeddings, ...(plda ? { plda } : {}) };
}

/** The shipped cohort of the shipped model (parsed once per isolate, on first use). */
let cached: VoiceCohort | undefined;
export function voiceCohort(): VoiceCohort {
  cached ??= parseVoiceCohort(cohortJson);
  return cached;
}
