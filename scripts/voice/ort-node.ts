// RunOnnx for Node (benchmarks, training check, tests): onnxruntime-web's WASM backend, one thread, one
// session per model id. The Worker uses src/inference/ instead; results are bit-identical (platform.md).
import * as ort from "onnxruntime-web";
import type { OnnxTensorLike, RunOnnx } from "../../src/biometrics/voice/embedder";

ort.env.wasm.numThreads = 1;
const sessions = new Map<string, Promise<ort.InferenceSession>>();

export const runOnnxNode: RunOnnx = async (model, inputs) => {
  let s = sessions.get(model.modelId);
  if (!s) {
    s = ort.InferenceSession.create(model.bytes);
    sessions.set(model.modelId, s);
  }
  const session = await s;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) feeds[k] = new ort.Tensor("float32", v.data, [...v.dims]);
  const res = await session.run(feeds);
  const out: Record<string, OnnxTensorLike> = {};
  for (const [k, v] of Object.entries(res)) out[k] = { data: v.data as Float32Array, dims: v.dims };
  return out;
};
