// The inference Worker: onnxruntime-web, the four face models and the image codecs, kept out of the API
// Worker so that the API stays small and its tests do not ship 20 MB of modules per test file. The API
// reaches it through a service binding with RPC (`env.INFERENCE.analyse(bytes)`).
import { WorkerEntrypoint } from "cloudflare:workers";
import jpegDecode, { init as initJpeg } from "@jsquash/jpeg/decode.js";
import pngDecode, { init as initPng } from "@jsquash/png/decode.js";
import jpegWasm from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
// @ts-expect-error: this codec ships a .d.ts beside its .wasm (for its JS glue); wrangler imports the .wasm as a module
import pngWasm from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm";
import webpWasm from "../biometrics/face/webp/webp-scaled.wasm";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import detectModel from "../../wasm-models/fr_detect.onnx";
import featureModel from "../../wasm-models/fr_feature.onnx";
import landmarkModel from "../../wasm-models/fr_landmark.onnx";
import livenessModel from "../../wasm-models/fr_liveness.onnx";
import { analyseImageBytes, type ImageResult } from "../biometrics/face/analyse";
import type { Decoders } from "../biometrics/face/decode";
import { decodeWebpScaled } from "../biometrics/face/webp/scaled";
import { FACE_MODEL_ID } from "../biometrics/face/policy";
import { createFaceModels } from "./face-models";
import voiceOnnx from "../../wasm-models/voice-lda.onnx";
import "../biometrics/voice/opus-bundled"; // registers opus.wasm (a CompiledWasm module import) for the Opus decoder
import { analyseVoiceBytes, type VoiceAnalysis } from "../biometrics/voice/analyse";
import { createVoiceEmbedder, type RunOnnx, type VoiceEmbedder } from "../biometrics/voice/embedder";
import { DEFAULT_VOICE_MODEL_ID, voiceLdaModel } from "../biometrics/voice/model";
import { createSession, initOrt, type Session } from "./ort";

// Created once per isolate, on first use, and only what a request needs: the codec of the picture's format
// (each one's WASM is instantiated on its first picture) and the face sessions (face-models.ts); a failed start
// is retried by the next request.
const once = (init: () => Promise<unknown>) => {
  let started: Promise<unknown> | undefined;
  return () =>
    (started ??= init().catch((e) => {
      started = undefined;
      throw e;
    }));
};
const jpegReady = once(() => initJpeg(jpegWasm));
const pngReady = once(() => initPng(pngWasm));
const decoders: Decoders = {
  jpeg: async (b) => (await jpegReady(), jpegDecode(b)),
  png: async (b) => (await pngReady(), pngDecode(b)),
  webp: (b, width, height) => decodeWebpScaled(webpWasm, b, width, height),
};
const models = createFaceModels({
  ortWasm,
  detect: detectModel,
  landmark: landmarkModel,
  feature: featureModel,
  liveness: livenessModel,
});
/** The warm-up of status(): the JPEG codec (what cameras send) and the four face sessions. */
const load = () => Promise.all([jpegReady(), models.ready()]);

// The voice embedder: its own lazy start, so a face-model problem does not take voice down (and back).
const voiceSessions = new Map<string, Promise<Session>>();
let voiceEmbedder: VoiceEmbedder | undefined;

/** The embedder's seam to ORT: one session per model id, single-input models (the stats-LDA and WeSpeaker kinds). */
const runOnnx: RunOnnx = async (model, inputs) => {
  const entries = Object.values(inputs);
  if (entries.length !== 1) throw new Error("voice models take one input");
  let session = voiceSessions.get(model.modelId);
  if (!session) {
    session = createSession(model.bytes);
    voiceSessions.set(model.modelId, session);
    session.catch(() => voiceSessions.delete(model.modelId));
  }
  const out = await (await session).run(entries[0]!.data, [...entries[0]!.dims]);
  return Object.fromEntries(Object.entries(out).map(([name, data]) => [name, { data, dims: [1, data.length] }]));
};

function voice(): VoiceEmbedder {
  initOrt(ortWasm);
  voiceEmbedder ??= createVoiceEmbedder(voiceLdaModel(voiceOnnx), runOnnx);
  return voiceEmbedder;
}

export class BiometricInference extends WorkerEntrypoint {
  /** Decodes and analyses one image: faces, the chosen face's embedding and liveness, quality status. */
  async analyse(image: Uint8Array): Promise<ImageResult> {
    return analyseImageBytes(image, decoders, models);
  }

  /** Decodes one clip (WAV, Ogg/Opus, WebM/Opus), detects speech and embeds the speaker; problems are values. */
  async analyseVoice(clip: Uint8Array): Promise<VoiceAnalysis> {
    return analyseVoiceBytes(clip, voice());
  }

  /** The voice model this Worker embeds with. */
  async voiceStatus(): Promise<{ available: boolean; modelId: string }> {
    return { available: true, modelId: DEFAULT_VOICE_MODEL_ID };
  }

  /** Answers at once (the service is reachable, so the models are available) and warms the models up. */
  async status(): Promise<{ available: boolean; loaded: boolean; modelId: string }> {
    const loaded = models.loaded();
    this.ctx.waitUntil(load().then(() => undefined, () => undefined));
    return { available: true, loaded, modelId: FACE_MODEL_ID };
  }
}

export default {
  async fetch(): Promise<Response> {
    return new Response("Not found", { status: 404 });
  },
};
