// Checks the converted face-api recognition model against face-api's own forward pass, written out with
// TensorFlow.js ops exactly as in @vladmandic/face-api src/faceRecognitionNet/*.ts (NHWC, TF.js's own conv,
// pooling and concat-with-zeros, TF.js's own weight dequantization), on random inputs and real face crops.
//   TFJS_DIR=/tmp/tfjs node scripts/face-models/verify-faceapi.mjs <model dir with face_recognition_model*> <model.onnx> [crops.f32]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [dir, onnxPath, crops] = process.argv.slice(2);
const tfReq = createRequire(join(process.env.TFJS_DIR ?? "/tmp/tfjs", "package.json"));
const tf = tfReq("@tensorflow/tfjs-core");
tfReq("@tensorflow/tfjs-backend-cpu");
const ort = createRequire(import.meta.url)("onnxruntime-web");
ort.env.wasm.numThreads = 1;
await tf.setBackend("cpu");

const manifest = JSON.parse(readFileSync(join(dir, "face_recognition_model-weights_manifest.json"), "utf8"));
const specs = manifest.flatMap((g) => g.weights);
const data = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
const W = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.length), specs);

// ---- face-api's FaceRecognitionNet.forwardInput, op for op.
const scale = (x, p) => tf.add(tf.mul(x, W[`${p}/scale/weights`]), W[`${p}/scale/biases`]);
const convLayer = (x, p, strides, withRelu, padding = "same") => {
  let out = tf.conv2d(x, W[`${p}/conv/filters`], strides, padding);
  out = tf.add(out, W[`${p}/conv/bias`]);
  out = scale(out, p);
  return withRelu ? tf.relu(out) : out;
};
const conv = (x, p) => convLayer(x, p, [1, 1], true);
const convNoRelu = (x, p) => convLayer(x, p, [1, 1], false);
const convDown = (x, p) => convLayer(x, p, [2, 2], true, "valid");
const residual = (x, p) => tf.relu(tf.add(convNoRelu(conv(x, `${p}/conv1`), `${p}/conv2`), x));
const residualDown = (x, p) => {
  let out = convDown(x, `${p}/conv1`);
  out = convNoRelu(out, `${p}/conv2`);
  let pooled = tf.avgPool(x, 2, 2, "valid");
  const zeros = tf.zeros(pooled.shape);
  const isPad = pooled.shape[3] !== out.shape[3];
  const isAdjustShape = pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2];
  if (isAdjustShape) {
    const padShapeX = [...out.shape];
    padShapeX[1] = 1;
    out = tf.concat([out, tf.zeros(padShapeX)], 1);
    const padShapeY = [...out.shape];
    padShapeY[2] = 1;
    out = tf.concat([out, tf.zeros(padShapeY)], 2);
  }
  pooled = isPad ? tf.concat([pooled, zeros], 3) : pooled;
  return tf.relu(tf.add(pooled, out));
};
const forward = (batch) => {
  const normalized = tf.div(tf.sub(batch, tf.tensor1d([122.782, 117.001, 104.298])), 255);
  let out = convDown(normalized, "conv32_down");
  out = tf.maxPool(out, 3, 2, "valid");
  for (const p of ["conv32_1", "conv32_2", "conv32_3"]) out = residual(out, p);
  out = residualDown(out, "conv64_down");
  for (const p of ["conv64_1", "conv64_2", "conv64_3"]) out = residual(out, p);
  out = residualDown(out, "conv128_down");
  for (const p of ["conv128_1", "conv128_2"]) out = residual(out, p);
  out = residualDown(out, "conv256_down");
  for (const p of ["conv256_1", "conv256_2"]) out = residual(out, p);
  out = residualDown(out, "conv256_down_out");
  return tf.matMul(tf.mean(out, [1, 2]), W.fc);
};

const session = await ort.InferenceSession.create(readFileSync(onnxPath));
const n = 3 * 150 * 150;
const samples = [0, 1, 2].map((k) => Float32Array.from({ length: n }, (_, i) => 127.5 + 127.5 * Math.sin(i * 0.37 + k)));
if (crops) {
  const all = new Float32Array(new Uint8Array(readFileSync(crops)).buffer);
  for (let off = 0; off + n <= all.length; off += n) samples.push(all.slice(off, off + n));
}
const cosine = (a, b) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] ** 2; nb += b[i] ** 2; }
  return dot / Math.sqrt(na * nb);
};
let worst = 1;
let worstDelta = 1;
let first = null;
for (const nchw of samples) {
  const nhwc = new Float32Array(n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < 150 * 150; i++) nhwc[i * 3 + c] = nchw[c * 150 * 150 + i];
  const a = await forward(tf.tensor4d(nhwc, [1, 150, 150, 3])).data();
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", nchw, [1, 3, 150, 150]) });
  const b = out[session.outputNames[0]].data;
  worst = Math.min(worst, cosine(a, b));
  if (first) worstDelta = Math.min(worstDelta, cosine(a.map((v, i) => v - first.a[i]), Array.from(b, (v, i) => v - first.b[i])));
  else first = { a, b };
}
console.log(`${onnxPath}: ${samples.length} inputs, cosine to face-api's forward pass (TF.js) min ${worst.toFixed(6)} (of differences between inputs: ${worstDelta.toFixed(6)})`);
if (worst < 0.9999 || worstDelta < 0.999) process.exit(1);
