// Activation ranges for the static int8 embedding model (issue 14 part 4): runs the FLOAT fr_feature model on
// aligned faces of the LFW calibration half only (crops.ts) and records, for every activation tensor the
// quantizer (scripts/face-models/static-int8.mjs) needs, its range.
//
//   npx tsx bench/face-int8/ranges.ts [--photos 300] [--float /tmp/face-models/fr_feature.float.onnx]
//        [--percentile 99.99] [--depthwise] [--out /tmp/face-int8/ranges.json]
// The range of a tensor is [min, max] over all photos (--percentile P: the mean over photos of each photo's
// (100-P)th and Pth percentile instead, which ignores rare outliers).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
// @ts-expect-error: plain ESM script without type declarations
import { MODELS } from "../../scripts/prepare-models.mjs";
// @ts-expect-error: plain ESM script without type declarations
import { neededTensors, withOutputs } from "../../scripts/face-models/static-int8.mjs";
import { createSession } from "../../src/inference/ort";
import { calibrationCrops } from "./crops";

const args = process.argv.slice(2);
const opt = (k: string, d: string) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1]! : d);
const photos = Number(opt("photos", "300"));
const floatFile = opt("float", "/tmp/face-models/fr_feature.float.onnx");
const percentile = args.includes("--percentile") ? Number(opt("percentile", "99.99")) : null;
const outFile = opt("out", "/tmp/face-int8/ranges.json");
const depthwise = args.includes("--depthwise");

const floatBytes = readFileSync(floatFile);
const sha = createHash("sha256").update(floatBytes).digest("hex");
if (sha !== MODELS.fr_feature.original) throw new Error(`${floatFile}: sha256 ${sha} is not the package's fr_feature.onnx`);

const crops = await calibrationCrops(0, photos);
const names = neededTensors(floatBytes, { depthwise });
const session = await createSession(withOutputs(floatBytes, names));
const lo: Record<string, number[]> = {};
const hi: Record<string, number[]> = {};
for (const { crop } of crops) {
  const out = await session.run(crop, [1, 3, 112, 112]);
  for (const n of names) {
    const v = out[n]!;
    let a = Infinity;
    let b = -Infinity;
    if (percentile === null) {
      for (const x of v) {
        if (x < a) a = x;
        if (x > b) b = x;
      }
    } else {
      const s = Float32Array.from(v).sort();
      a = s[Math.floor(((100 - percentile) / 100) * (s.length - 1))]!;
      b = s[Math.ceil((percentile / 100) * (s.length - 1))]!;
    }
    (lo[n] ??= []).push(a);
    (hi[n] ??= []).push(b);
  }
}
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const round = (x: number) => Math.round(x * 1e5) / 1e5; // stable text; the quantizer rounds to float32 anyway
const ranges: Record<string, [number, number]> = {};
for (const n of names) ranges[n] = (percentile === null ? [Math.min(...lo[n]!), Math.max(...hi[n]!)] : [mean(lo[n]!), mean(hi[n]!)]).map(round) as [number, number];
mkdirSync(dirname(outFile), { recursive: true });
const statistic = percentile === null ? "min/max over photos" : `mean over photos of the ${100 - percentile}/${percentile} percentiles`;
writeFileSync(outFile, JSON.stringify({ model: "fr_feature", source: sha, photos: crops.length, half: "LFW calibration half (even-index identities)", statistic, ranges }, null, 1) + "\n");
console.log(`${outFile}: ${names.length} tensors from ${crops.length} calibration-half photos`);
