// The shipped voice model (trained by scripts/train-voice.mjs) and the drop-in WeSpeaker descriptor.
// The ONNX bytes are supplied by the caller (in the Worker: a wrangler `Data` module import of
// wasm-models/voice-lda.onnx; under Node: readFileSync), so this file stays free of bundler specifics.
import meta from "../../../wasm-models/voice-lda.json";
import type { VoiceModel } from "./embedder";

export const VOICE_LDA_META = meta;
export const DEFAULT_VOICE_MODEL_ID: string = meta.modelId;

export function voiceLdaModel(bytes: Uint8Array | ArrayBuffer): VoiceModel {
  return {
    modelId: meta.modelId,
    kind: "stats-lda",
    bytes: bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes),
    threshold: meta.threshold,
    enrolConsistencyThreshold: meta.enrolConsistency.threshold,
    inputName: meta.input.name,
    outputName: meta.output.name,
  };
}

/**
 * An operator-supplied WeSpeaker-format ONNX model (`feats` [1,T,80] -> `embs` [1,E]). The threshold must be
 * calibrated for that model on background data (bench/voice.mjs --model prints the background EER point);
 * WeSpeaker ResNet34 cosine thresholds are typically 0.3-0.5 but do not guess. Without an
 * `enrolConsistencyThreshold` (calibrate it the same way), enrolments are not checked for one speaker.
 */
export function wespeakerModel(opts: {
  modelId: string;
  bytes: Uint8Array | ArrayBuffer;
  threshold: number;
  enrolConsistencyThreshold?: number;
  inputName?: string;
  outputName?: string;
}): VoiceModel {
  return {
    modelId: opts.modelId,
    kind: "wespeaker",
    bytes: opts.bytes instanceof Uint8Array ? opts.bytes : new Uint8Array(opts.bytes),
    threshold: opts.threshold,
    enrolConsistencyThreshold: opts.enrolConsistencyThreshold,
    inputName: opts.inputName ?? "feats",
    outputName: opts.outputName ?? "embs",
    fbankWindow: "hamming",
  };
}
