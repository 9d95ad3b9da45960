// TensorFlow.js graph model (model.json + weight shards) -> ONNX (opset 13), in plain JS with no dependency,
// over the ops the face embedding candidates of the bake-off really use (BENCHMARKS.md "Face model bake-off").
// No Python (tf2onnx) is reachable here, hence this small converter.
//
// Layout: TF graphs are NHWC, ONNX Conv is NCHW. The ONNX model takes NCHW input ([1,3,H,W], like the other
// face models) and every 4-D activation stays NCHW inside; constants that meet a 4-D activation are
// reshaped or transposed to match, and axis attributes (Mean, Sum, Squeeze, Pad) are remapped. An op whose
// NHWC meaning cannot be kept this way throws instead of converting wrongly.
//
// Weights: float32, int32, and the converter's quantized forms (float16, and uint8/uint16 affine with
// scale/min) are read and stored as float32 initializers; int8 quantization happens afterwards with the same
// rewriter as today's model (scripts/prepare-models.mjs quantizeModel).
import { bytesField, encodeMessage, intField, makeTensor, strField } from "../onnx-proto.mjs";

// ---------------------------------------------------------------- weights
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Reads every weight of the manifest from the concatenated shards: name -> {shape, dtype, values}. */
export function readWeights(manifest, readShard) {
  const out = new Map();
  for (const group of manifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readShard(p)));
    let off = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      let values;
      if (q && q.dtype === "float16") {
        values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = halfToFloat(bytes.readUInt16LE(off + 2 * i));
        off += 2 * n;
      } else if (q && (q.dtype === "uint8" || q.dtype === "uint16")) {
        const size = q.dtype === "uint8" ? 1 : 2;
        values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = (size === 1 ? bytes[off + i] : bytes.readUInt16LE(off + 2 * i)) * q.scale + q.min;
        off += size * n;
      } else if (w.dtype === "float32") {
        values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = bytes.readFloatLE(off + 4 * i);
        off += 4 * n;
      } else if (w.dtype === "int32") {
        values = new Int32Array(n);
        for (let i = 0; i < n; i++) values[i] = bytes.readInt32LE(off + 4 * i);
        off += 4 * n;
      } else throw new Error(`weight ${w.name}: dtype ${w.dtype} ${q ? JSON.stringify(q) : ""} not supported`);
      if (q && w.dtype !== "float32") throw new Error(`weight ${w.name}: quantized ${w.dtype} not supported`);
      out.set(w.name, { shape: w.shape, dtype: w.dtype, values });
    }
    if (off !== bytes.length) throw new Error(`weight group ${group.paths}: read ${off} of ${bytes.length} bytes`);
  }
  return out;
}

// ---------------------------------------------------------------- ONNX message helpers
const floatAttr = (name, v) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return encodeMessage([strField(1, name), { field: 2, wire: 5, value: new Uint8Array(b) }, intField(20, 1)]);
};
const intAttr = (name, v) => encodeMessage([strField(1, name), intField(3, v), intField(20, 2)]);
const intsAttr = (name, vs) => encodeMessage([strField(1, name), ...vs.map((v) => intField(8, v)), intField(20, 7)]);
const strAttr = (name, s) => encodeMessage([strField(1, name), strField(4, s), intField(20, 3)]);
const floatTensor = (name, dims, values) => makeTensor(name, 1, dims, new Uint8Array(Float32Array.from(values).buffer));
const int64Tensor = (name, values) => {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return makeTensor(name, 7, [values.length], raw);
};
const valueInfo = (name, dims) =>
  encodeMessage([
    strField(1, name),
    bytesField(2, encodeMessage([bytesField(1, encodeMessage([intField(1, 1), bytesField(2, encodeMessage(dims.map((d) => bytesField(1, encodeMessage(typeof d === "number" ? [intField(1, d)] : [strField(2, d)])))))]))])),
  ]);

// NHWC axis -> NCHW axis, for 4-D activations.
const NHWC_TO_NCHW = [0, 2, 3, 1];

/**
 * Converts the graph. `outputs`: TF node names to expose (the graph is pruned to what they need);
 * `inputShape`: NCHW shape of the ONNX input. Returns the ONNX bytes and the list of TF ops converted.
 */
export function convertGraphModel(modelJson, weights, { outputs, inputShape, outputNames = outputs.map((_, k) => (k ? `output${k}` : "embedding")), producer = "trustid convert-tfjs" }) {
  const clean = (ref) => ref.replace(/^\^/, "").replace(/:0$/, "");
  const graphNodes = fusePrelu(modelJson.modelTopology.node, clean);
  const tfNodes = new Map(graphNodes.map((n) => [n.name, n]));
  // Prune to the nodes the requested outputs need (age/gender heads etc. are dropped).
  const needed = new Set();
  const visit = (name) => {
    if (needed.has(name)) return;
    const n = tfNodes.get(name);
    if (!n) throw new Error(`unknown node ${name}`);
    needed.add(name);
    for (const i of n.input ?? []) if (!i.startsWith("^")) visit(clean(i));
  };
  outputs.forEach(visit);

  const nodes = [];
  const inits = [];
  const inputs = [];
  // TF tensor name -> {name: ONNX name, rank, nchw: 4-D activation held as NCHW}
  const tensors = new Map();
  const usedOps = new Set();
  let counter = 0;
  const fresh = (base) => `${base}__${counter++}`;
  const emit = (op, ins, outs, name, attrs = []) =>
    nodes.push(encodeMessage([...ins.map((i) => strField(1, i)), ...outs.map((o) => strField(2, o)), strField(3, name), strField(4, op), ...attrs.map((a) => bytesField(5, a))]));
  const constOf = (ref) => {
    const n = tfNodes.get(clean(ref));
    if (!n || n.op !== "Const") return null;
    const w = weights.get(n.name);
    if (w) return w;
    // Small constants are inlined in the graph JSON as a TensorProto.
    const t = n.attr?.value?.tensor;
    if (!t) throw new Error(`constant ${n.name} has no value`);
    const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size));
    if (t.floatVal) return { shape, dtype: "float32", values: Float32Array.from(t.floatVal) };
    if (t.intVal) return { shape, dtype: "int32", values: Int32Array.from(t.intVal.map(Number)) };
    throw new Error(`constant ${n.name}: unsupported inline value ${JSON.stringify(t).slice(0, 200)}`);
  };
  const attrList = (n, key) => (n.attr?.[key]?.list?.i ?? []).map(Number);
  const attrStr = (n, key) => (n.attr?.[key]?.s ? Buffer.from(n.attr[key].s, "base64").toString() : undefined);
  const fusedOps = (n) => (n.attr?.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, "base64").toString());

  /** ONNX name for a float constant used element-wise against an activation of the given layout. */
  const elementwiseConst = (c, other, tag) => {
    const name = fresh(tag);
    const n = c.values.length;
    if (c.shape.length === 0 || n === 1) inits.push(floatTensor(name, [], [c.values[0]]));
    else if (other.nchw && c.shape.length === 1) inits.push(floatTensor(name, [n, 1, 1], c.values)); // per-channel [C] -> [C,1,1]
    else if (other.nchw && c.shape.length === 3 && c.shape[0] === 1 && c.shape[1] === 1) inits.push(floatTensor(name, [c.shape[2], 1, 1], c.values));
    else if (!other.nchw && c.shape.length <= other.rank) inits.push(floatTensor(name, c.shape, c.values));
    else throw new Error(`element-wise constant of shape [${c.shape}] against a rank ${other.rank} ${other.nchw ? "NCHW" : ""} tensor`);
    return name;
  };
  const get = (ref) => {
    const t = tensors.get(clean(ref));
    if (!t) throw new Error(`tensor ${ref} not converted yet`);
    return t;
  };
  const activation = (op, kind, input, out, name, extra) => {
    // Fused activations of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul.
    if (kind === "Relu") emit("Relu", [input], [out], name);
    else if (kind === "Relu6") {
      const lo = fresh(`${name}_min`), hi = fresh(`${name}_max`);
      inits.push(floatTensor(lo, [], [0]), floatTensor(hi, [], [6]));
      emit("Clip", [input, lo, hi], [out], name);
    } else if (kind === "Prelu") {
      const alpha = fresh(`${name}_alpha`);
      inits.push(floatTensor(alpha, extra.nchw ? [extra.c.values.length, 1, 1] : [extra.c.values.length], extra.c.values));
      emit("PRelu", [input, alpha], [out], name);
    } else if (kind === "LeakyRelu") emit("LeakyRelu", [input], [out], name, [floatAttr("alpha", extra.alpha)]);
    else throw new Error(`${op}: fused activation ${kind} not supported`);
  };

  // Topological order = the order of the JSON (TF.js writes nodes in a valid order); check as we go.
  for (const n of graphNodes) {
    if (!needed.has(n.name)) continue;
    const out = n.name;
    usedOps.add(n.op);
    const ins = (n.input ?? []).filter((i) => !i.startsWith("^"));
    switch (n.op) {
      case "Const":
        break; // materialised by its consumers, in the form each needs
      case "Placeholder": {
        inputs.push(valueInfo(out, inputShape));
        tensors.set(out, { name: out, rank: 4, nchw: true });
        break;
      }
      case "Identity": {
        tensors.set(out, get(ins[0]));
        break;
      }
      case "Conv2D":
      case "_FusedConv2D":
      case "DepthwiseConv2dNative":
      case "FusedDepthwiseConv2dNative": {
        const x = get(ins[0]);
        if (!x.nchw) throw new Error(`${out}: convolution of a non-NCHW tensor`);
        if ((attrStr(n, "data_format") ?? "NHWC") !== "NHWC") throw new Error(`${out}: data_format ${attrStr(n, "data_format")}`);
        const w = constOf(ins[1]);
        const [kh, kw, cin, cout] = w.shape;
        const depthwise = n.op.includes("Depthwise");
        // HWIO -> OIHW; depthwise HW C M -> (C*M) 1 H W (output channel c*M + m, as TF orders them).
        const o = depthwise ? cin * cout : cout;
        const i = depthwise ? 1 : cin;
        const wv = new Float32Array(o * i * kh * kw);
        for (let y = 0; y < kh; y++)
          for (let xk = 0; xk < kw; xk++)
            for (let a = 0; a < cin; a++)
              for (let b = 0; b < cout; b++) {
                const src = w.values[((y * kw + xk) * cin + a) * cout + b];
                const oc = depthwise ? a * cout + b : b;
                const ic = depthwise ? 0 : a;
                wv[((oc * i + ic) * kh + y) * kw + xk] = src;
              }
        const wName = `${clean(ins[1])}_oihw`;
        inits.push(floatTensor(wName, [o, i, kh, kw], wv));
        const strides = attrList(n, "strides");
        const dil = attrList(n, "dilations");
        const padding = attrStr(n, "padding");
        const attrs = [intsAttr("kernel_shape", [kh, kw]), intsAttr("strides", [strides[1] ?? 1, strides[2] ?? 1]), intsAttr("dilations", [dil[1] ?? 1, dil[2] ?? 1])];
        // TF SAME puts the odd extra pixel at the end: ONNX SAME_UPPER.
        if (padding === "SAME") attrs.push(strAttr("auto_pad", "SAME_UPPER"));
        else if (padding === "VALID") attrs.push(intsAttr("pads", [0, 0, 0, 0]));
        else if (padding === "EXPLICIT") {
          const p = attrList(n, "explicit_paddings"); // NHWC pairs
          attrs.push(intsAttr("pads", [p[2], p[4], p[3], p[5]]));
        } else throw new Error(`${out}: padding ${padding}`);
        if (depthwise) attrs.push(intAttr("group", cin));
        const fused = n.op.startsWith("_Fused") || n.op.startsWith("Fused") ? fusedOps(n) : [];
        const convIns = [x.name, wName];
        let rest = fused;
        if (fused[0] === "BiasAdd") {
          const bias = constOf(ins[2]);
          const bName = `${clean(ins[2])}_bias`;
          inits.push(floatTensor(bName, [bias.values.length], bias.values));
          convIns.push(bName);
          rest = fused.slice(1);
        } else if (fused.length) throw new Error(`${out}: fused ops ${fused} not supported`);
        if (rest.length > 1) throw new Error(`${out}: fused ops ${fused} not supported`);
        const convOut = rest.length ? fresh(`${out}_conv`) : out;
        emit("Conv", convIns, [convOut], out + (rest.length ? "_conv" : ""), attrs);
        if (rest.length) activation(n.op, rest[0], convOut, out, out, { c: rest[0] === "Prelu" ? constOf(ins[3]) : null, nchw: true, alpha: n.attr?.leakyrelu_alpha?.f ?? 0.2 });
        tensors.set(out, { name: out, rank: 4, nchw: true });
        break;
      }
      case "MatMul":
      case "_FusedMatMul": {
        const x = get(ins[0]);
        if (x.rank !== 2 || x.nchw) throw new Error(`${out}: MatMul on rank ${x.rank}`);
        if (n.attr?.transpose_a?.b || n.attr?.transpose_b?.b) throw new Error(`${out}: transposed MatMul`);
        const w = constOf(ins[1]);
        const wName = `${clean(ins[1])}_w`;
        inits.push(floatTensor(wName, w.shape, w.values));
        const fused = n.op === "_FusedMatMul" ? fusedOps(n) : [];
        let cur = fresh(`${out}_mm`);
        emit("MatMul", [x.name, wName], [cur], `${out}_matmul`);
        let rest = fused;
        if (fused[0] === "BiasAdd") {
          const bias = constOf(ins[2]);
          const bName = `${clean(ins[2])}_bias`;
          inits.push(floatTensor(bName, [bias.values.length], bias.values));
          const next = rest.length > 1 ? fresh(`${out}_b`) : out;
          emit("Add", [cur, bName], [next], `${out}_bias`);
          cur = next;
          rest = fused.slice(1);
        }
        if (rest.length > 1) throw new Error(`${out}: fused ops ${fused} not supported`);
        if (rest.length) activation(n.op, rest[0], cur, out, out, { c: rest[0] === "Prelu" ? constOf(ins[3]) : null, nchw: false });
        else if (cur !== out) emit("Identity", [cur], [out], `${out}_id`);
        tensors.set(out, { name: out, rank: 2, nchw: false });
        break;
      }
      case "_Prelu": {
        // Produced by fusePrelu: slope = slopeOffset + 2 x the graph's constant (it computes c * (x - |x|)).
        const x = get(ins[0]);
        const c = constOf(ins[1]);
        activation(n.op, "Prelu", x.name, out, out, { c: { values: c.values.map((v) => n.slopeOffset + 2 * v) }, nchw: x.nchw });
        tensors.set(out, { ...x, name: out });
        break;
      }
      case "Relu":
      case "Abs":
      case "Sigmoid":
      case "Relu6":
      case "Square":
      case "Rsqrt": {
        const x = get(ins[0]);
        if (n.op === "Relu6") activation(n.op, "Relu6", x.name, out, out);
        else if (n.op === "Square") emit("Mul", [x.name, x.name], [out], out);
        else if (n.op === "Rsqrt") {
          const s = fresh(`${out}_sqrt`);
          emit("Sqrt", [x.name], [s], `${out}_sqrt`);
          emit("Reciprocal", [s], [out], out);
        } else emit(n.op, [x.name], [out], out);
        tensors.set(out, { ...x, name: out });
        break;
      }
      case "Add":
      case "AddV2":
      case "BiasAdd":
      case "Sub":
      case "Mul":
      case "RealDiv":
      case "Minimum":
      case "Maximum": {
        const onnxOp = { Add: "Add", AddV2: "Add", BiasAdd: "Add", Sub: "Sub", Mul: "Mul", RealDiv: "Div", Minimum: "Min", Maximum: "Max" }[n.op];
        const ca = constOf(ins[0]);
        const cb = constOf(ins[1]);
        if (ca && cb) throw new Error(`${out}: constant folding not supported`);
        const x = ca ? get(ins[1]) : get(ins[0]);
        const a = ca ? elementwiseConst(ca, x, `${out}_a`) : get(ins[0]).name;
        let b;
        if (cb) b = elementwiseConst(cb, x, `${out}_b`);
        else {
          const y = get(ins[1]);
          if (!ca && (y.nchw !== x.nchw || (y.rank !== x.rank && y.nchw))) throw new Error(`${out}: mixed layouts`);
          b = y.name;
        }
        emit(onnxOp, [a, b], [out], out);
        tensors.set(out, { ...x, name: out });
        break;
      }
      case "Mean":
      case "Sum": {
        const x = get(ins[0]);
        const axesTf = Array.from(constOf(ins[1]).values).map((v) => (v < 0 ? v + x.rank : v));
        const axes = x.nchw ? axesTf.map((v) => NHWC_TO_NCHW[v]) : axesTf;
        const keep = n.attr?.keep_dims?.b ? 1 : 0;
        if (x.nchw && !keep && !(axesTf.length === 2 && axesTf.includes(1) && axesTf.includes(2))) throw new Error(`${out}: reduction over ${axesTf} of an NCHW tensor`);
        if (n.op === "Mean") emit("ReduceMean", [x.name], [out], out, [intsAttr("axes", axes), intAttr("keepdims", keep)]);
        else {
          const ax = fresh(`${out}_axes`);
          inits.push(int64Tensor(ax, axes));
          emit("ReduceSum", [x.name, ax], [out], out, [intAttr("keepdims", keep)]);
        }
        tensors.set(out, keep ? { ...x, name: out } : { name: out, rank: x.rank - axes.length, nchw: false });
        break;
      }
      case "Squeeze": {
        const x = get(ins[0]);
        const dims = attrList(n, "squeeze_dims").map((v) => (v < 0 ? v + x.rank : v));
        // Squeezing H and W of [N,H,W,C] leaves [N,C] in both layouts; anything else would reorder.
        if (x.nchw && !(dims.length === 2 && dims.includes(1) && dims.includes(2))) throw new Error(`${out}: squeeze ${dims} of an NCHW tensor`);
        const axes = x.nchw ? dims.map((v) => NHWC_TO_NCHW[v]) : dims;
        const ax = fresh(`${out}_axes`);
        inits.push(int64Tensor(ax, axes));
        emit("Squeeze", [x.name, ax], [out], out);
        tensors.set(out, { name: out, rank: x.rank - dims.length, nchw: false });
        break;
      }
      case "Reshape": {
        const x = get(ins[0]);
        const shape = Array.from(constOf(ins[1]).values);
        let src = x.name;
        if (x.nchw) {
          // Flatten in TF's NHWC order: transpose back first.
          src = fresh(`${out}_nhwc`);
          emit("Transpose", [x.name], [src], `${out}_nhwc`, [intsAttr("perm", [0, 2, 3, 1])]);
        }
        if (shape.length === 4) throw new Error(`${out}: reshape to rank 4`);
        const s = fresh(`${out}_shape`);
        inits.push(int64Tensor(s, shape));
        emit("Reshape", [src, s], [out], out);
        tensors.set(out, { name: out, rank: shape.length, nchw: false });
        break;
      }
      case "MaxPool":
      case "AvgPool": {
        const x = get(ins[0]);
        if (!x.nchw) throw new Error(`${out}: pooling of a non-NCHW tensor`);
        const k = attrList(n, "ksize");
        const st = attrList(n, "strides");
        const padding = attrStr(n, "padding");
        if (padding !== "VALID") throw new Error(`${out}: ${n.op} padding ${padding}`); // SAME average pooling excludes the padding in TF
        emit(n.op === "MaxPool" ? "MaxPool" : "AveragePool", [x.name], [out], out, [intsAttr("kernel_shape", [k[1], k[2]]), intsAttr("strides", [st[1], st[2]]), intsAttr("pads", [0, 0, 0, 0])]);
        tensors.set(out, { ...x, name: out });
        break;
      }
      case "Pad": {
        const x = get(ins[0]);
        const p = Array.from(constOf(ins[1]).values); // [[b0,a0],[b1,a1],...] in TF axis order
        if (!x.nchw) throw new Error(`${out}: Pad of a non-NCHW tensor`);
        const before = [0, 0, 0, 0], after = [0, 0, 0, 0];
        for (let ax = 0; ax < 4; ax++) {
          before[NHWC_TO_NCHW[ax]] = p[2 * ax];
          after[NHWC_TO_NCHW[ax]] = p[2 * ax + 1];
        }
        const pads = fresh(`${out}_pads`);
        inits.push(int64Tensor(pads, [...before, ...after]));
        emit("Pad", [x.name, pads], [out], out, [strAttr("mode", "constant")]);
        tensors.set(out, { ...x, name: out });
        break;
      }
      default:
        throw new Error(`op ${n.op} (${out}) not supported by convert-tfjs`);
    }
  }

  const graphOutputs = outputs.map((o, k) => {
    const t = get(o);
    if (t.nchw) throw new Error(`output ${o} is a 4-D activation: expose a flattened tensor`);
    emit("Identity", [t.name], [outputNames[k]], `${outputNames[k]}_out`);
    return encodeMessage([strField(1, outputNames[k]), bytesField(2, encodeMessage([bytesField(1, encodeMessage([intField(1, 1)]))]))]);
  });
  const graph = encodeMessage([
    ...nodes.map((b) => bytesField(1, b)),
    strField(2, "main"),
    ...inits.map((b) => bytesField(5, b)),
    ...inputs.map((b) => bytesField(11, b)),
    ...graphOutputs.map((b) => bytesField(12, b)),
  ]);
  const model = encodeMessage([
    intField(1, 7), // IR 7: opset 13
    strField(2, producer),
    bytesField(7, graph),
    bytesField(8, encodeMessage([strField(1, ""), intField(2, 13)])),
  ]);
  return { bytes: model, ops: [...usedOps].sort() };
}

/**
 * TF-slim exports PReLU as relu(x) + alpha * 0.5 * (x - |x|): four element-wise ops over the whole tensor.
 * Rewrites each `Add(Relu(x), Mul(Sub(x, Abs(x)), c))` into one PRelu with slope 2c, and the form TF's
 * optimizer leaves after fusing the Relu into the convolution before it, `Add(x, Mul(Sub(x, Abs(x)), c))`,
 * into one PRelu with slope 1 + 2c (for x < 0 it is x + 2cx). The original nodes are then unused and pruned.
 * Same numbers (checked against TF.js), far fewer passes over memory.
 */
function fusePrelu(nodes, clean) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const src = (ref) => byName.get(clean(ref));
  return nodes.map((n) => {
    if (n.op !== "Add" && n.op !== "AddV2") return n;
    const [p, q] = (n.input ?? []).map(src);
    for (const [first, mul] of [[p, q], [q, p]]) {
      if (!first || mul?.op !== "Mul") continue;
      const isRelu = first.op === "Relu";
      const x = isRelu ? clean(first.input[0]) : first.name;
      for (const [subRef, cRef] of [[mul.input[0], mul.input[1]], [mul.input[1], mul.input[0]]]) {
        const sub = src(subRef);
        const c = src(cRef);
        if (sub?.op !== "Sub" || c?.op !== "Const" || clean(sub.input[0]) !== x) continue;
        const abs = src(sub.input[1]);
        if (abs?.op !== "Abs" || clean(abs.input[0]) !== x) continue;
        return { name: n.name, op: "_Prelu", input: [x, c.name], attr: {}, slopeOffset: isRelu ? 0 : 1 };
      }
    }
    return n;
  });
}
