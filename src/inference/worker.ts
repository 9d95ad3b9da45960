// The inference Worker: onnxruntime-web, the four face models and the image codecs, kept out of the API
// Worker so that the API stays small and its tests do not ship 20 MB of modules per test file. The API
// reaches it through a service binding with RPC (`env.FACE_INFERENCE.analyse(bytes)`).
import { WorkerEntrypoint } from "cloudflare:workers";
import jpegDecode, { init as initJpeg } from "@jsquash/jpeg/decode.js";
import pngDecode, { init as initPng } from "@jsquash/png/decode.js";
import webpDecode, { init as initWebp } from "@jsquash/webp/decode.js";
import jpegWasm from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
// @ts-expect-error: this codec ships a .d.ts beside its .wasm (for its JS glue); wrangler imports the .wasm as a module
import pngWasm from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm";
import webpWasm from "@jsquash/webp/codec/dec/webp_dec.wasm";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import detectModel from "../../wasm-models/fr_detect.onnx";
import featureModel from "../../wasm-models/fr_feature.onnx";
import landmarkModel from "../../wasm-models/fr_landmark.onnx";
import livenessModel from "../../wasm-models/fr_liveness.onnx";
import { analyseImageBytes, type ImageResult } from "../biometrics/face/analyse";
import type { Decoders } from "../biometrics/face/decode";
import type { FaceModelRunner } from "../biometrics/face/pipeline";
import { FACE_MODEL_ID } from "../biometrics/face/policy";
import { createFaceModels } from "./face-models";

// Created once per isolate, on first use; a failed start is retried by the next request.
let loadedOnce = false;
let ready: Promise<{ decoders: Decoders; models: FaceModelRunner }> | undefined;

function load() {
  ready ??= (async () => {
    await Promise.all([initJpeg(jpegWasm), initPng(pngWasm), initWebp(webpWasm)]);
    const decoders: Decoders = { jpeg: (b) => jpegDecode(b), png: (b) => pngDecode(b), webp: (b) => webpDecode(b) };
    const models = await createFaceModels({
      ortWasm,
      detect: detectModel,
      landmark: landmarkModel,
      feature: featureModel,
      liveness: livenessModel,
    });
    loadedOnce = true;
    return { decoders, models };
  })().catch((e) => {
    ready = undefined;
    throw e;
  });
  return ready;
}

export class FaceInference extends WorkerEntrypoint {
  /** Decodes and analyses one image: faces, the chosen face's embedding and liveness, quality status. */
  async analyse(image: Uint8Array): Promise<ImageResult> {
    const { decoders, models } = await load();
    return analyseImageBytes(image, decoders, models);
  }

  /** Answers at once (the service is reachable, so the models are available) and warms the models up. */
  async status(): Promise<{ available: boolean; loaded: boolean; modelId: string }> {
    const loaded = loadedOnce;
    this.ctx.waitUntil(load().then(() => undefined, () => undefined));
    return { available: true, loaded, modelId: FACE_MODEL_ID };
  }
}

export default {
  async fetch(): Promise<Response> {
    return new Response("Not found", { status: 404 });
  },
};
