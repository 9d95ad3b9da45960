// Which Convs lose the most when quantized (static int8, activation ranges from ranges.ts): quantizes one Conv
// at a time and prints the mean cosine of the embedding to the float model's, on calibration-half crops
// 300-339 (not those the ranges came from). Worst first.
//   npx tsx bench/face-int8/sensitivity.ts /tmp/face-int8/ranges.json [--count 40]
import { readFileSync } from "node:fs";
// @ts-expect-error: plain ESM script without type declarations
import { quantizeStatic, quantizedConvs, readGraph } from "../../scripts/face-models/static-int8.mjs";
import { createSession } from "../../src/inference/ort";
import { calibrationCrops } from "./crops";

const args = process.argv.slice(2);
const count = args.includes("--count") ? Number(args[args.indexOf("--count") + 1]) : 40;
const ranges = JSON.parse(readFileSync(args[0]!, "utf8")).ranges;
const floatBytes = readFileSync("/tmp/face-models/fr_feature.float.onnx");
const crops = await calibrationCrops(300, count);
const embed = async (bytes: Uint8Array) => {
  const s = await createSession(bytes);
  const out: Float32Array[] = [];
  for (const { crop } of crops) out.push(Object.values(await s.run(crop, [1, 3, 112, 112]))[0]!);
  return out;
};
const cos = (a: Float32Array, b: Float32Array) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! * a[i]!), (bb += b[i]! * b[i]!);
  return ab / Math.sqrt(aa * bb);
};
const ref = await embed(floatBytes);
const convs = quantizedConvs(readGraph(floatBytes).nodes, { depthwise: args.includes("--depthwise") }).map((n: { outputs: string[] }) => n.outputs[0]);
const rows: [string, number][] = [];
for (const c of convs) {
  const { bytes } = quantizeStatic(floatBytes, ranges, { depthwise: args.includes("--depthwise"), keepFloat: convs.filter((x: string) => x !== c) });
  const e = await embed(bytes);
  rows.push([c, e.reduce((s, v, i) => s + cos(v, ref[i]!), 0) / e.length]);
}
for (const [c, m] of rows.sort((a, b) => a[1] - b[1])) console.log(`${c}\t${m.toFixed(5)}\t[${ranges[c].join(", ")}]`);
