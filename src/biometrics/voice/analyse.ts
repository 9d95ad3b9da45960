// One clip -> what the API needs, as a plain value (it crosses the inference Worker's RPC boundary, where a
// VoiceError would lose its class): the clip's problem, or whether it holds speech and its embedding.
import type { VoiceEmbedder } from "./embedder";
import { VoiceError, type VoiceErrorCode } from "./errors";
import { highBandDb } from "./features";
import { analyseClip, assertSpeech } from "./voice";

export type VoiceAnalysis =
  | { ok: false; code: VoiceErrorCode; message: string }
  | {
      ok: true;
      modelId: string;
      threshold: number;
      /** The model's enrolment consistency threshold (consistency.ts); absent: no check. */
      enrolConsistencyThreshold?: number;
      durationSec: number;
      speechSeconds: number;
      /**
       * The clip's own sample rate, how far its loud frames stand above its quiet ones (vad.ts), and its speech's energy
       * above 4 kHz against 300-3400 Hz (features.ts `highBandDb`): capture hints.
       */
      sourceRate: number;
      dynamicRangeDb: number;
      highBandDb: number;
      isVoiceDetected: boolean;
      /** L2-normalised speaker embedding; null when no (or too little) speech was detected. */
      embedding: number[] | null;
      /** Why no speaker decision can be made, when isVoiceDetected is false. */
      reason?: string;
      reasonCode?: VoiceErrorCode;
    };

export async function analyseVoiceBytes(bytes: Uint8Array, embedder: VoiceEmbedder): Promise<VoiceAnalysis> {
  try {
    const { audio, features } = await analyseClip(bytes);
    const base = {
      ok: true as const,
      modelId: embedder.modelId,
      threshold: embedder.threshold,
      ...(embedder.enrolConsistencyThreshold === undefined ? {} : { enrolConsistencyThreshold: embedder.enrolConsistencyThreshold }),
      durationSec: audio.durationSec,
      speechSeconds: features.vad.speechSeconds,
      sourceRate: audio.sourceRate,
      dynamicRangeDb: Number.isFinite(features.vad.dynamicRangeDb) ? features.vad.dynamicRangeDb : 0,
      highBandDb: highBandDb(features.fbank, features.vad.speechMask),
    };
    try {
      assertSpeech(features);
    } catch (e) {
      if (!(e instanceof VoiceError)) throw e;
      return { ...base, isVoiceDetected: false, embedding: null, reason: e.message, reasonCode: e.code };
    }
    const embedding = Array.from(await embedder.embed(features, audio.samples));
    return { ...base, isVoiceDetected: true, embedding };
  } catch (e) {
    if (e instanceof VoiceError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}
