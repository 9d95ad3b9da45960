// Voice enrolment and verification: the interface the /biometrics endpoints call.
//
//   const embedder = createVoiceEmbedder(voiceLdaModel(onnxBytes), runOnnx);   // once per isolate
//   const template = await enrolVoice([clip1, clip2, clip3], embedder);         // store with the student
//   const result = await verifyVoice(template, clip, embedder);                 // { score, isMatch, ... }
//
// Clips are raw bytes (WAV, Ogg/Opus or WebM/Opus; the endpoints base64-decode voice_base64 first).
// Every failure that is the clip's fault is a VoiceError (toAppError -> 400 on voice_base64), thrown
// before any template changes.
import { decodeAudio, type DecodedAudio } from "./decode";
import type { VoiceEmbedder } from "./embedder";
import { VoiceError } from "./errors";
import { extractVoiceFeatures, type VoiceFeatures } from "./features";
import { inconsistencyMessage, inconsistentPair } from "./consistency";
import { cosine, l2normalize } from "./projection";

/** Shorter clips are rejected before analysis. */
export const MIN_CLIP_SECONDS = 1;
/** Longer clips are cut (cost is linear in length; 30 s says all a speaker embedding can use). */
export const MAX_CLIP_SECONDS = 30;
/** Speech (VAD frames) a clip must contain to be judged. */
export const MIN_SPEECH_SECONDS = 1;
export const MAX_ENROL_CLIPS = 10;

export interface VoiceTemplate {
  modelId: string;
  /** Mean of the enrolment embeddings, L2-normalised. */
  embedding: number[];
  clips: number;
  speechSeconds: number;
}

export interface VoiceVerification {
  /** Cosine similarity to the template in [-1, 1]; null when no speech was detected. */
  score: number | null;
  isMatch: boolean;
  isVoiceDetected: boolean;
  threshold: number;
  modelId: string;
  speechSeconds: number;
  /** Why the clip was not judged, when isVoiceDetected is false. */
  reason?: string;
}

export interface AnalysedClip {
  audio: DecodedAudio;
  features: VoiceFeatures;
}

/** Decode + fbank + VAD. Throws VoiceError for undecodable or too-short audio; speech is judged later. */
export async function analyseClip(bytes: Uint8Array): Promise<AnalysedClip> {
  const decoded = await decodeAudio(bytes);
  if (decoded.durationSec < MIN_CLIP_SECONDS) {
    throw new VoiceError("too_short", `audio is ${decoded.durationSec.toFixed(2)} s long; at least ${MIN_CLIP_SECONDS} s is needed`);
  }
  const audio =
    decoded.durationSec > MAX_CLIP_SECONDS
      ? { ...decoded, samples: decoded.samples.subarray(0, MAX_CLIP_SECONDS * decoded.sampleRate), durationSec: MAX_CLIP_SECONDS }
      : decoded;
  return { audio, features: extractVoiceFeatures(audio.samples) };
}

/** Throws the VoiceError that explains why a clip cannot be used for a speaker decision, if any. */
export function assertSpeech(features: VoiceFeatures): void {
  const { vad } = features;
  if (!vad.isVoiceDetected) throw new VoiceError(vad.verdict === "speech" ? "no_speech" : vad.verdict, vad.reason);
  if (vad.speechSeconds < MIN_SPEECH_SECONDS) {
    throw new VoiceError("too_short", `only ${vad.speechSeconds.toFixed(2)} s of speech; at least ${MIN_SPEECH_SECONDS} s is needed`);
  }
}

export async function enrolVoice(clips: Uint8Array[], embedder: VoiceEmbedder): Promise<VoiceTemplate> {
  if (clips.length === 0) throw new VoiceError("too_short", "no enrolment audio");
  if (clips.length > MAX_ENROL_CLIPS) throw new VoiceError("bad_request", `at most ${MAX_ENROL_CLIPS} enrolment clips`);
  const embeddings: Float32Array[] = [];
  let speech = 0;
  for (const [i, bytes] of clips.entries()) {
    try {
      const { audio, features } = await analyseClip(bytes);
      assertSpeech(features);
      embeddings.push(await embedder.embed(features, audio.samples));
      speech += features.vad.speechSeconds;
    } catch (e) {
      if (e instanceof VoiceError && clips.length > 1) throw new VoiceError(e.code, `clip ${i + 1}: ${e.message}`);
      throw e;
    }
  }
  const min = embedder.enrolConsistencyThreshold;
  const pair = min === undefined ? null : inconsistentPair(embeddings, min);
  if (pair) throw new VoiceError("inconsistent_speakers", inconsistencyMessage(pair, min!));
  return { modelId: embedder.modelId, embedding: Array.from(meanEmbedding(embeddings)), clips: clips.length, speechSeconds: speech };
}

/** Adds clips to an existing template (same model), weighting by clip count. */
export async function extendTemplate(template: VoiceTemplate, clips: Uint8Array[], embedder: VoiceEmbedder): Promise<VoiceTemplate> {
  checkModel(template, embedder);
  const add = await enrolVoice(clips, embedder);
  const sum = template.embedding.map((v, i) => v * template.clips + add.embedding[i]! * add.clips);
  return {
    modelId: template.modelId,
    embedding: Array.from(l2normalize(Float32Array.from(sum))),
    clips: template.clips + add.clips,
    speechSeconds: template.speechSeconds + add.speechSeconds,
  };
}

/**
 * Scores a clip against a template. Undecodable / too-short clips throw; a clip without speech returns
 * isVoiceDetected=false, isMatch=false (monitoring wants that as a result, not an error).
 */
export async function verifyVoice(template: VoiceTemplate, bytes: Uint8Array, embedder: VoiceEmbedder): Promise<VoiceVerification> {
  checkModel(template, embedder);
  const { audio, features } = await analyseClip(bytes);
  const base = { threshold: embedder.threshold, modelId: embedder.modelId, speechSeconds: features.vad.speechSeconds };
  try {
    assertSpeech(features);
  } catch (e) {
    if (!(e instanceof VoiceError)) throw e;
    return { ...base, score: null, isMatch: false, isVoiceDetected: false, reason: e.message };
  }
  const emb = await embedder.embed(features, audio.samples);
  const score = cosine(Float32Array.from(template.embedding), emb);
  return { ...base, score, isMatch: score >= embedder.threshold, isVoiceDetected: true };
}

function checkModel(template: VoiceTemplate, embedder: VoiceEmbedder): void {
  if (template.modelId !== embedder.modelId) {
    throw new VoiceError("model_mismatch", `voice template was made with model ${template.modelId}, the service now uses ${embedder.modelId}; enrol again`);
  }
}

export function meanEmbedding(embeddings: Float32Array[]): Float32Array {
  const first = embeddings[0];
  if (!first) throw new RangeError("no embeddings");
  const sum = new Float32Array(first.length);
  for (const e of embeddings) for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + e[i]!;
  return l2normalize(sum);
}
