// How close int8 embedding models stay to the float model on real faces: cosine between each file's embedding
// and the float model's, on calibration-half crops that the activation ranges were NOT taken from (by default
// crops 300-399 of crops.ts's order; ranges.ts uses 0-299).
//   npx tsx bench/face-int8/fidelity.ts [--skip 300 --count 100] file.onnx ...
import { readFileSync } from "node:fs";
import { cosine } from "../../src/biometrics/voice/projection";
import { calibrationCrops, embedCrops } from "./crops";

const args = process.argv.slice(2);
const opt = (k: string, d: string) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1]! : d);
const files = args.filter((a) => a.endsWith(".onnx"));
const crops = await calibrationCrops(Number(opt("skip", "300")), Number(opt("count", "100")));
const run = (file: string) => embedCrops(new Uint8Array(readFileSync(file)), crops);
const ref = await run(opt("float", "/tmp/face-models/fr_feature.float.onnx"));
console.log(`${crops.length} calibration-half faces; cosine to the float model's embedding`);
console.log("| file | min | 1st pct | median | mean |");
console.log("|---|---|---|---|---|");
for (const f of files) {
  const c = (await run(f)).map((e, i) => cosine(e, ref[i]!)).sort((a, b) => a - b);
  console.log(`| ${f} | ${c[0]!.toFixed(5)} | ${c[Math.floor(c.length / 100)]!.toFixed(5)} | ${c[Math.floor(c.length / 2)]!.toFixed(5)} | ${(c.reduce((s, x) => s + x, 0) / c.length).toFixed(5)} |`);
}
