// Bytes in, analysis out: the single entry the inference worker, the benchmarks and the tests share.
// Decoding problems are answered as statuses (not thrown) because the result crosses an RPC boundary.
import { type Decoders, decodeImage, ImageDecodeError } from "./decode";
import { analyseFace, type FaceAnalysis, type FaceModelRunner } from "./pipeline";
import { FACE_MODEL_ID } from "./policy";

export type ImageResult =
  | ({ ok: true; modelId: string } & FaceAnalysis)
  | { ok: false; status: "undecodable" | "image_too_large"; message: string };

export async function analyseImageBytes(bytes: Uint8Array, decoders: Decoders, models: FaceModelRunner): Promise<ImageResult> {
  const t = performance.now();
  let image;
  try {
    image = await decodeImage(bytes, decoders);
  } catch (e) {
    if (e instanceof ImageDecodeError) return { ok: false, status: e.code, message: e.message };
    throw e;
  }
  const decodeMs = performance.now() - t;
  const analysis = await analyseFace(image.image, models, image);
  analysis.timings = { decode: decodeMs, ...analysis.timings };
  return { ok: true, modelId: FACE_MODEL_ID, ...analysis };
}
