// Checks a converted model against TensorFlow.js itself (CPU backend, pure JS) on the same inputs:
// random inputs and, when given, real aligned face crops. TF.js is not a project dependency: install it
// outside the repository and point TFJS_DIR at it:
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install --ignore-scripts @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-converter@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0)
//   TFJS_DIR=/tmp/tfjs node scripts/face-models/verify-tfjs.mjs <model.json> <tf output node> <model.onnx> [inputs.f32 (NCHW float32, n x 3 x H x W)]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const [jsonPath, outputNode, onnxPath, crops] = process.argv.slice(2);
const tfReq = createRequire(join(process.env.TFJS_DIR ?? "/tmp/tfjs", "package.json"));
const tf = tfReq("@tensorflow/tfjs-core");
tfReq("@tensorflow/tfjs-backend-cpu");
const converter = tfReq("@tensorflow/tfjs-converter");
const ort = createRequire(import.meta.url)("onnxruntime-web");
ort.env.wasm.numThreads = 1;

await tf.setBackend("cpu");
const json = JSON.parse(readFileSync(jsonPath, "utf8"));
const specs = json.weightsManifest.flatMap((g) => g.weights);
const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p)))));
const model = await converter.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) }));
const session = await ort.InferenceSession.create(readFileSync(onnxPath));
const [, c, h, w] = [1, 3, ...model.inputs[0].shape.slice(1, 3)];

let samples = [];
for (let k = 0; k < 3; k++) samples.push(Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i * 0.37 + k) * (k === 2 ? 100 : 1)));
if (crops) {
  const all = new Float32Array(new Uint8Array(readFileSync(crops)).buffer);
  for (let off = 0; off + c * h * w <= all.length; off += c * h * w) samples.push(all.slice(off, off + c * h * w));
}
// Also compared: each output minus the first one. A model with a large constant output component (a
// bias) would match on cosine whatever the rest did; the differences between inputs must match too.
const cosine = (a, b) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] ** 2; nb += b[i] ** 2; }
  return dot / Math.sqrt(na * nb);
};
let worst = 1;
let worstDelta = 1;
let worstRel = 0;
let first = null;
for (const nchw of samples) {
  const nhwc = new Float32Array(nchw.length);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) nhwc[i * c + ch] = nchw[ch * h * w + i];
  const ref = await model.executeAsync(tf.tensor4d(nhwc, [1, h, w, c]), outputNode);
  const a = await ref.data();
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", nchw, [1, c, h, w]) });
  const b = out[session.outputNames[0]].data;
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let dot = 0, na = 0, nb = 0, maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]; na += a[i] ** 2; nb += b[i] ** 2;
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
  const cos = dot / Math.sqrt(na * nb);
  worst = Math.min(worst, cos);
  if (first) worstDelta = Math.min(worstDelta, cosine(a.map((v, i) => v - first.a[i]), Array.from(b, (v, i) => v - first.b[i])));
  else first = { a, b };
  worstRel = Math.max(worstRel, maxDiff / Math.sqrt(na / a.length));
}
console.log(`${onnxPath}: ${samples.length} inputs, cosine to TF.js min ${worst.toFixed(6)} (of differences between inputs: ${worstDelta.toFixed(6)}), max |diff| / rms ${worstRel.toExponential(2)}`);
if (worst < 0.9999 || worstDelta < 0.999) process.exit(1);
