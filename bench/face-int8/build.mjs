// Builds the static int8 (QDQ) variants measured in BENCHMARKS.md "WASM speed" (issue 14 part 4) into /tmp.
//   node bench/face-int8/build.mjs feature --ranges /tmp/face-int8/ranges.json --out F.onnx [--depthwise] [--adds] [--keep-float 659,518]
//        from the package's float fr_feature.onnx (/tmp/face-models/fr_feature.float.onnx, sha256-checked;
//        node -e 'import("./scripts/prepare-models.mjs").then(m => ...fetchOriginals())' or the bake-off's
//        prepare-candidates.mjs puts it there)
//   node bench/face-int8/build.mjs detect --out F.onnx [--depthwise]
//        SPEED PROBE ONLY: today's wasm-models/fr_detect.onnx with its weights' DequantizeLinear folded back to
//        float, every activation range set to [-8, 8]: the outputs mean nothing, the compute graph is that of a
//        calibrated model (ranges do not change the work done).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { MODELS } from "../../scripts/prepare-models.mjs";
import { foldWeightDequant, neededTensors, quantizeStatic } from "../../scripts/face-models/static-int8.mjs";

const args = process.argv.slice(2);
const opt = (k) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : undefined);
const options = { depthwise: args.includes("--depthwise"), adds: args.includes("--adds"), keepFloat: (opt("keep-float") ?? "").split(",").filter(Boolean) };
let source;
let ranges;
if (args[0] === "feature") {
  source = readFileSync(opt("float") ?? "/tmp/face-models/fr_feature.float.onnx");
  const sha = createHash("sha256").update(source).digest("hex");
  if (sha !== MODELS.fr_feature.original) throw new Error(`sha256 ${sha} is not the package's fr_feature.onnx`);
  ranges = JSON.parse(readFileSync(opt("ranges"), "utf8")).ranges;
} else if (args[0] === "detect") {
  source = foldWeightDequant(readFileSync("wasm-models/fr_detect.onnx"));
  ranges = Object.fromEntries(neededTensors(source, options).map((t) => [t, [-8, 8]]));
} else throw new Error("usage: build.mjs feature|detect --out F.onnx ...");
const { bytes, convs } = quantizeStatic(source, ranges, options);
writeFileSync(opt("out"), bytes);
console.log(`${opt("out")}: ${bytes.length} bytes, ${convs} Convs int8 (QDQ), sha256 ${createHash("sha256").update(bytes).digest("hex")}`);
