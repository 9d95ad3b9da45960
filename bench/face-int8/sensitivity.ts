// Which Convs lose the most when quantized (static int8, activation ranges from ranges.ts): quantizes one Conv
// at a time and prints the mean cosine of the embedding to the float model's, on calibration-half crops
// 300-339 (not those the ranges came from). Worst first.
//   npx tsx bench/face-int8/sensitivity.ts /tmp/face-int8/ranges.json [--count 40]
import { readFileSync } from "node:fs";
// @ts-expect-error: plain ESM script without type declarations
import { quantizeStatic, quantizedConvs, readGraph } from "../../scripts/face-models/static-int8.mjs";
import { cosine } from "../../src/biometrics/voice/projection";
import { calibrationCrops, embedCrops } from "./crops";

const args = process.argv.slice(2);
const count = args.includes("--count") ? Number(args[args.indexOf("--count") + 1]) : 40;
const ranges = JSON.parse(readFileSync(args[0]!, "utf8")).ranges;
const floatBytes = readFileSync("/tmp/face-models/fr_feature.float.onnx");
const crops = await calibrationCrops(300, count);
const embed = (bytes: Uint8Array) => embedCrops(bytes, crops);
const ref = await embed(floatBytes);
const convs = quantizedConvs(readGraph(floatBytes).nodes, { depthwise: args.includes("--depthwise") }).map((n: { outputs: string[] }) => n.outputs[0]);
const rows: [string, number][] = [];
for (const c of convs) {
  const { bytes } = quantizeStatic(floatBytes, ranges, { depthwise: args.includes("--depthwise"), keepFloat: convs.filter((x: string) => x !== c) });
  const e = await embed(bytes);
  rows.push([c, e.reduce((s, v, i) => s + cosine(v, ref[i]!), 0) / e.length]);
}
for (const [c, m] of rows.sort((a, b) => a[1] - b[1])) console.log(`${c}\t${m.toFixed(5)}\t[${ranges[c].join(", ")}]`);
