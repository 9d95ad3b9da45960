// The score-normalisation cohort shipped with the voice model: one embedding per background speaker
// (../shared/data/voice/background, never a student), written by `node scripts/train-voice.mjs` into
// wasm-models/voice-cohort.json. score.ts uses it; see there for why.
import cohortJson from "../../../wasm-models/voice-cohort.json";
import type { VoiceCohort } from "./score";

/** Top-K of the adaptive normalisation, chosen by background cross-validation (BENCHMARKS.md "Voice"). */
export const VOICE_COHORT_TOP_K = 25;

/** Embeddings are stored as base64 of little-endian float32, `count` x `dim`. */
export function parseVoiceCohort(json: { modelId: string; dim: number; count: number; topK: number; float32Base64: string }): VoiceCohort {
  const bin = atob(json.float32Base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const all = new Float32Array(bytes.buffer);
  if (all.length !== json.count * json.dim) throw new RangeError("voice cohort size does not match its header");
  const embeddings = Array.from({ length: json.count }, (_, i) => all.subarray(i * json.dim, (i + 1) * json.dim));
  return { modelId: json.modelId, dim: json.dim, topK: json.topK, embeddings };
}

/** The shipped cohort of the shipped model (parsed once per isolate, on first use). */
let cached: VoiceCohort | undefined;
export function voiceCohort(): VoiceCohort {
  cached ??= parseVoiceCohort(cohortJson);
  return cached;
}
