#!/usr/bin/env node
// Trains and exports the voice projection (wasm-models/voice-lda.onnx + voice-lda.json), then checks the
// exported graph with onnxruntime-web against the JS projection. Usage, from the repository root:
//   node scripts/train-voice.mjs            # train with the chosen hyper-parameters, export, validate
//   node scripts/train-voice.mjs --search   # 5-fold CV grid over background only (prints, exports nothing)
//   node scripts/train-voice.mjs --consistency  # the enrolment consistency threshold table (prints, exports nothing)
// Env: VOICE_BACKGROUND_DIR (default ../shared/data/voice/background).
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const out = join(tmpdir(), `train-voice-${process.pid}.mjs`);
await build({ entryPoints: ["scripts/voice/train.ts"], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "warning" });
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(out, { force: true });
}

if (!process.argv.includes("--search") && !process.argv.includes("--consistency")) {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  const model = readFileSync("wasm-models/voice-lda.onnx");
  const session = await ort.InferenceSession.create(model);
  const { probe, expected } = JSON.parse(readFileSync("wasm-models/.voice-lda-probe.json", "utf8"));
  rmSync("wasm-models/.voice-lda-probe.json");
  const dim = probe[0].length;
  const res = await session.run({ stats: new ort.Tensor("float32", Float32Array.from(probe.flat()), [probe.length, dim]) });
  const got = res.embedding.data;
  let maxErr = 0;
  expected.flat().forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - got[i]))));
  console.log(`onnxruntime-web ${ort.env.versions?.web ?? ""}: max |ORT - JS| over ${probe.length} embeddings = ${maxErr.toExponential(2)}`);
  if (!(maxErr < 1e-4)) {
    console.error("ONNX export does not match the JS projection");
    process.exit(1);
  }
}
