// Per-stage latency of the face pipeline under Node with onnxruntime-web (WASM, one thread: the same
// runtime and code the inference Worker runs), on the 640x480 picture in JPEG, PNG and WebP, and the same
// embedding run with native onnxruntime-node (one thread) as a reference ratio when it is available:
//   (mkdir -p /tmp/ortnode && cd /tmp/ortnode && npm init -y && npm install --ignore-scripts onnxruntime-node@1.30.0)
//   ORT_NODE_DIR=/tmp/ortnode npx tsx bench/face-latency.ts [iterations]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { analyseImageBytes } from "../src/biometrics/face/analyse";
import { nodeFace, SHARED } from "./node-face";

const N = Number(process.argv[2] ?? 50);
const { decoders, models } = await nodeFace();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.95))]!;

for (const ext of ["jpg", "png", "webp"]) {
  const bytes = new Uint8Array(readFileSync(join(SHARED, "media", `obama_640x480.${ext}`)));
  for (let i = 0; i < 3; i++) await analyseImageBytes(bytes, decoders, models); // warm-up
  const stages: Record<string, number[]> = {};
  const total: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const r = await analyseImageBytes(bytes, decoders, models);
    total.push(performance.now() - t);
    if (!r.ok || r.status !== "ok") throw new Error(`unexpected ${r.status}`);
    for (const [k, v] of Object.entries(r.timings)) (stages[k] ??= []).push(v);
  }
  const parts = Object.entries(stages).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(", ");
  console.log(`640x480 ${ext.toUpperCase().padEnd(4)} whole pipeline median ${median(total).toFixed(1)} ms, p95 ${p95(total).toFixed(1)} ms; stage medians (ms): ${parts}`);
}

// Embedding only: onnxruntime-web (WASM) vs onnxruntime-node (native), same int8 model, same input.
const input = new Float32Array(3 * 112 * 112).map((_, i) => Math.sin(i) * 0.5);
const wasmTimes: number[] = [];
for (let i = 0; i < 3; i++) await models.embed(input);
for (let i = 0; i < N; i++) {
  const t = performance.now();
  await models.embed(input);
  wasmTimes.push(performance.now() - t);
}
console.log(`embedding (fr_feature int8) onnxruntime-web WASM: median ${median(wasmTimes).toFixed(1)} ms`);
const dir = process.env.ORT_NODE_DIR;
if (dir) {
  const ortNode = createRequire(join(dir, "package.json"))("onnxruntime-node");
  for (const file of ["wasm-models/fr_feature.onnx"]) {
    const session = await ortNode.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const feeds = { [session.inputNames[0]]: new ortNode.Tensor("float32", input, [1, 3, 112, 112]) };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
    }
    console.log(`embedding (fr_feature int8) onnxruntime-node native: median ${median(times).toFixed(1)} ms -> WASM/native ratio ${(median(wasmTimes) / median(times)).toFixed(2)}`);
  }
} else console.log("(set ORT_NODE_DIR to a folder with onnxruntime-node installed for the native reference)");
