// Speaker embedders behind one interface, selected by the model id stored with each template.
//
// Both kinds run through onnxruntime-web, but this module never imports it: the caller passes `runOnnx`,
// which the inference module (src/inference/, the one place that owns ORT sessions) implements. That keeps
// ORT and its 14 MB wasm out of anything that only parses audio, and lets Node tests pass a Node-side ORT.
//
// - "stats-lda" (default, trained in this repo by scripts/train-voice.mjs): input `stats` [1,160] =
//   per-bin mean and std of povey-window log-mel over speech frames; output `embedding` [1,D], L2-normalised.
// - "wespeaker": any WeSpeaker-format export (ResNet34, CAM++, ECAPA ...): input `feats` [1,T,80] Kaldi fbank
//   (hamming window, int16-scaled 16 kHz audio, 25/10 ms) with the per-utterance mean subtracted (CMN, no
//   variance normalisation), output `embs` [1,E]. Only the VAD's speech frames are fed.
import { computeFbank, type Fbank, type WindowType } from "./fbank";
import type { VoiceFeatures } from "./features";
import { l2normalize } from "./projection";

export interface OnnxTensorLike {
  /** Flat row-major data. */
  data: Float32Array;
  dims: readonly number[];
}

/**
 * Runs `model` (cache sessions by `modelId`; create them once per isolate) on named float32 inputs and
 * returns the named outputs.
 */
export type RunOnnx = (
  model: { modelId: string; bytes: Uint8Array },
  inputs: Record<string, OnnxTensorLike>,
) => Promise<Record<string, OnnxTensorLike>>;

export type VoiceModelKind = "stats-lda" | "wespeaker";

export interface VoiceModel {
  /** Stored with every template; a template only compares against embeddings of the same model id. */
  modelId: string;
  kind: VoiceModelKind;
  bytes: Uint8Array;
  /** Accept when cosine >= threshold. */
  threshold: number;
  /** Refuse an enrolment when two of its clips score below this (consistency.ts); no check when absent. */
  enrolConsistencyThreshold?: number;
  inputName?: string; // "stats" | "feats"
  outputName?: string; // "embedding" | "embs"
  /** wespeaker only: window the model was trained with (WeSpeaker recipes: hamming). */
  fbankWindow?: WindowType;
}

export interface VoiceEmbedder {
  readonly modelId: string;
  readonly threshold: number;
  readonly enrolConsistencyThreshold?: number;
  /** Embedding of one utterance, L2-normalised. */
  embed(features: VoiceFeatures, samples16k: Float32Array): Promise<Float32Array>;
}

export function createVoiceEmbedder(model: VoiceModel, runOnnx: RunOnnx): VoiceEmbedder {
  const ref = { modelId: model.modelId, bytes: model.bytes };
  if (model.kind === "stats-lda") {
    const input = model.inputName ?? "stats";
    const output = model.outputName ?? "embedding";
    return {
      modelId: model.modelId,
      threshold: model.threshold,
      enrolConsistencyThreshold: model.enrolConsistencyThreshold,
      async embed(features) {
        const out = await runOnnx(ref, { [input]: { data: features.stats, dims: [1, features.stats.length] } });
        return l2normalize(pick(out, output));
      },
    };
  }
  const input = model.inputName ?? "feats";
  const output = model.outputName ?? "embs";
  const window = model.fbankWindow ?? "hamming";
  return {
    modelId: model.modelId,
    threshold: model.threshold,
    enrolConsistencyThreshold: model.enrolConsistencyThreshold,
    async embed(features, samples16k) {
      // The stats model's fbank uses the povey window; recompute only if this model wants another one.
      const fb = window === "povey" ? features.fbank : computeFbank(samples16k, { window });
      const feats = wespeakerInput(fb, features.vad.speechMask);
      const out = await runOnnx(ref, { [input]: { data: feats.data, dims: [1, feats.frames, fb.bins] } });
      return l2normalize(pick(out, output));
    },
  };
}

/** [T, bins] speech frames (all frames if the VAD kept too few) with the mean over them subtracted. */
export function wespeakerInput(fb: Fbank, mask: Uint8Array): { data: Float32Array; frames: number } {
  let kept = 0;
  for (let i = 0; i < fb.frames && i < mask.length; i++) kept += mask[i]!;
  const useMask = kept >= 50;
  const frames = useMask ? kept : fb.frames;
  const d = fb.bins;
  const data = new Float32Array(frames * d);
  const mean = new Float64Array(d);
  let t = 0;
  for (let f = 0; f < fb.frames; f++) {
    if (useMask && !mask[f]) continue;
    for (let b = 0; b < d; b++) {
      const v = fb.data[f * d + b]!;
      data[t * d + b] = v;
      mean[b] = mean[b]! + v / frames;
    }
    t++;
  }
  for (let i = 0; i < frames; i++) for (let b = 0; b < d; b++) data[i * d + b] = data[i * d + b]! - mean[b]!;
  return { data, frames };
}

function pick(out: Record<string, OnnxTensorLike>, name: string): Float32Array {
  const t = out[name] ?? Object.values(out)[0];
  if (!t) throw new Error(`voice model produced no output ${name}`);
  return Float32Array.from(t.data);
}
