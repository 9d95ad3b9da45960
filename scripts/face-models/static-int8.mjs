// Static int8 quantization of a float ONNX model in QDQ form (issue 14 part 4): int8 weights AND uint8
// activations around each chosen Conv, so that onnxruntime's QDQ fusion (measured at the service's graph
// optimisation "all" and at "extended") turns DequantizeLinear -> Conv -> QuantizeLinear into QLinearConv and the convolution runs on MLAS's
// integer GEMM kernels instead of fp32 (today's models are weight-only int8: their Convs compute in fp32).
//   - weights: int8, symmetric, one scale per output channel (quantizePerChannel of prepare-models.mjs);
//   - activations: uint8, asymmetric, one scale per tensor, from ranges measured on calibration faces
//     (bench/face-int8/ranges.ts), given here as {tensor: [min, max]};
//   - bias: int32 with scale x_scale * w_scale[c] (what QLinearConv expects; ORT fuses only when every Conv
//     input comes from a DequantizeLinear);
//   - each quantized Conv gets its own DequantizeLinear nodes, never one shared with a float consumer, so that
//     the fusion cannot be blocked by a DequantizeLinear with several users.
// Pure function of (model bytes, ranges, options): the same inputs give the same bytes.
import { quantizePerChannel } from "../prepare-models.mjs";
import { bytesField, decodeMessage, encodeMessage, intField, makeTensor, str, strField, tensorDims, tensorFloats } from "../onnx-proto.mjs";

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;

/** Reads a model: the ModelProto fields, the graph's fields, its nodes (op, inputs, outputs, attributes) and initializers. */
export function readGraph(bytes) {
  const model = decodeMessage(bytes);
  const graphIdx = model.findIndex((f) => f.field === 7);
  const graph = decodeMessage(model[graphIdx].value);
  const nodes = [];
  const inits = new Map();
  for (const f of graph) {
    if (f.field === 1) {
      const n = decodeMessage(f.value);
      nodes.push({
        op: str(n.find((x) => x.field === 4).value),
        inputs: n.filter((x) => x.field === 1).map((x) => str(x.value)),
        outputs: n.filter((x) => x.field === 2).map((x) => str(x.value)),
        attrs: n.filter((x) => x.field === 5).map((x) => x.value),
        name: str(n.find((x) => x.field === 3)?.value ?? new Uint8Array()),
        raw: f,
      });
    } else if (f.field === 5) {
      const t = decodeMessage(f.value);
      inits.set(str(t.find((x) => x.field === 8).value), t);
    }
  }
  return { model, graphIdx, graph, nodes, inits };
}

const intAttr = (a, name) => {
  const m = decodeMessage(a);
  if (str(m.find((x) => x.field === 1).value) !== name) return undefined;
  return Number(BigInt.asIntN(64, m.find((x) => x.field === 3)?.value ?? 0n));
};
export const convGroup = (n) => n.attrs.map((a) => intAttr(a, "group")).find((g) => g !== undefined) ?? 1;

const nodeBytes = (op, inputs, outputs, name, attrs = []) =>
  encodeMessage([...inputs.map((i) => strField(1, i)), ...outputs.map((o) => strField(2, o)), strField(3, name), strField(4, op), ...attrs.map((a) => bytesField(5, a))]);
const axisAttr = (axis) => encodeMessage([strField(1, "axis"), intField(3, axis), intField(20, 2)]);
const scalar = (name, type, bytes) => makeTensor(name, type, [], bytes);
const f32 = (values) => new Uint8Array(Float32Array.from(values).buffer);

/**
 * The Convs to quantize: the non-depthwise ones, depthwise ones too when asked (options.depthwise), less those
 * whose output tensor is listed in options.keepFloat (they stay fp32 with float weights).
 */
export const quantizedConvs = (nodes, { depthwise = false, keepFloat = [] }) =>
  nodes.filter((n) => n.op === "Conv" && (depthwise || convGroup(n) === 1) && !keepFloat.includes(n.outputs[0]));

/**
 * The Relu that is the only consumer of a Conv's output, if any: the quantization then goes after the Relu
 * (Conv -> Relu -> QuantizeLinear), which onnxruntime folds into the QLinearConv (the detector's Convs are so).
 */
function soleRelu(n, nodes) {
  const users = nodes.filter((m) => m.inputs.includes(n.outputs[0]));
  return users.length === 1 && users[0].op === "Relu" ? users[0] : undefined;
}

/** The activation tensors whose ranges the quantizer needs (inputs and outputs of the quantized Convs). */
export function neededTensors(bytes, options) {
  const { nodes } = readGraph(bytes);
  const names = new Set();
  for (const n of quantizedConvs(nodes, options)) names.add(n.inputs[0]).add((soleRelu(n, nodes) ?? n).outputs[0]);
  return [...names];
}

/** The same model with extra float graph outputs (to read intermediate tensors while calibrating). */
export function withOutputs(bytes, names) {
  const { model, graphIdx, graph } = readGraph(bytes);
  const tensorType = encodeMessage([bytesField(1, encodeMessage([intField(1, FLOAT)]))]);
  const extra = names.map((n) => bytesField(12, encodeMessage([strField(1, n), bytesField(2, tensorType)])));
  return encodeMessage(model.map((f, i) => (i === graphIdx ? bytesField(7, encodeMessage([...graph, ...extra])) : f)));
}

/** uint8 asymmetric parameters covering [min, max] (and 0, which must be exact for padding). */
export function uint8Params([lo, hi]) {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = Math.fround(max > min ? (max - min) / 255 : 1);
  const zero = Math.max(0, Math.min(255, Math.round(-min / scale)));
  return { scale, zero };
}

/**
 * Rewrites a float model (any opset <= 13 whose ops kept their form up to 13, as fr_feature's Conv, PRelu,
 * Add and Reshape did) into the QDQ int8 model. options.depthwise: quantize depthwise Convs too;
 * options.adds: also the Adds whose two terms are quantized (their outputs need ranges too).
 */
export function quantizeStatic(bytes, ranges, options) {
  const { model, graphIdx, graph, nodes, inits } = readGraph(bytes);
  const chosen = new Set(quantizedConvs(nodes, options));
  const newInits = [];
  const dropped = new Set();
  const out = [];
  const qOf = new Map(); // activation tensor -> {q: uint8 tensor name, s: scale name, z: zero name, scale}
  let k = 0;
  const quantize = (tensor, from, placed) => {
    const r = ranges[tensor];
    if (!r) throw new Error(`no calibration range for ${tensor}`);
    const { scale, zero } = uint8Params(r);
    const q = { q: `${tensor}_q`, s: `${tensor}_qs`, z: `${tensor}_qz`, scale };
    newInits.push(scalar(q.s, FLOAT, f32([scale])), scalar(q.z, UINT8, Uint8Array.of(zero)));
    placed.push(bytesField(1, nodeBytes("QuantizeLinear", [from, q.s, q.z], [q.q], `${tensor}_quant`)));
    qOf.set(tensor, q);
    return q;
  };
  const reluAfter = new Set();
  const requantize = (y) => {
    // The float tensor keeps its name for the consumers that stay float (PRelu, Add, Reshape, ...).
    const yq = quantize(y, `${y}_f`, out);
    out.push(bytesField(1, nodeBytes("DequantizeLinear", [yq.q, yq.s, yq.z], [y], `${y}_dequant`)));
  };
  for (const n of nodes) {
    if (reluAfter.has(n)) {
      const z = n.outputs[0];
      out.push(bytesField(1, nodeBytes("Relu", n.inputs, [`${z}_f`], n.name || `${z}_relu`)));
      requantize(z);
      continue;
    }
    if (options.adds && n.op === "Add" && n.inputs.every((i) => qOf.has(i))) {
      // Both terms already quantized (Conv outputs or requantized sums): DequantizeLinear -> Add ->
      // QuantizeLinear, which onnxruntime fuses into QLinearAdd (the residual sums stay uint8).
      const terms = n.inputs.map((i) => {
        const q = qOf.get(i);
        const name = `${i}_dq${k++}`;
        out.push(bytesField(1, nodeBytes("DequantizeLinear", [q.q, q.s, q.z], [name], `${name}_node`)));
        return name;
      });
      out.push(bytesField(1, nodeBytes("Add", terms, [`${n.outputs[0]}_f`], n.name || `${n.outputs[0]}_add`)));
      requantize(n.outputs[0]);
      continue;
    }
    if (!chosen.has(n)) {
      out.push(n.raw);
      continue;
    }
    const [x, wName, bName] = n.inputs;
    const y = n.outputs[0];
    const xq = qOf.get(x) ?? quantize(x, x, out);
    const xDq = `${x}_dq${k++}`;
    out.push(bytesField(1, nodeBytes("DequantizeLinear", [xq.q, xq.s, xq.z], [xDq], `${xDq}_node`)));

    const w = inits.get(wName);
    const dims = tensorDims(w);
    const { q, scales } = quantizePerChannel(tensorFloats(w), dims[0]);
    newInits.push(makeTensor(`${wName}_q`, INT8, dims, new Uint8Array(q.buffer)));
    newInits.push(makeTensor(`${wName}_scale`, FLOAT, [dims[0]], f32(scales)));
    newInits.push(makeTensor(`${wName}_zero`, INT8, [dims[0]], new Uint8Array(dims[0])));
    out.push(bytesField(1, nodeBytes("DequantizeLinear", [`${wName}_q`, `${wName}_scale`, `${wName}_zero`], [`${wName}_dq`], `${wName}_dequant`, [axisAttr(0)])));
    dropped.add(wName);
    const convInputs = [xDq, `${wName}_dq`];
    if (bName) {
      const b = tensorFloats(inits.get(bName));
      const bScales = Float32Array.from(scales, (s) => Math.fround(s * xq.scale));
      const bq = Int32Array.from(b, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / bScales[c]))));
      newInits.push(makeTensor(`${bName}_q`, INT32, [b.length], new Uint8Array(bq.buffer)));
      newInits.push(makeTensor(`${bName}_scale`, FLOAT, [b.length], new Uint8Array(bScales.buffer)));
      newInits.push(makeTensor(`${bName}_zero`, INT32, [b.length], new Uint8Array(4 * b.length)));
      out.push(bytesField(1, nodeBytes("DequantizeLinear", [`${bName}_q`, `${bName}_scale`, `${bName}_zero`], [`${bName}_dq`], `${bName}_dequant`, [axisAttr(0)])));
      dropped.add(bName);
      convInputs.push(`${bName}_dq`);
    }
    const relu = soleRelu(n, nodes);
    if (relu) {
      reluAfter.add(relu);
      out.push(bytesField(1, nodeBytes("Conv", convInputs, [y], n.name || `${y}_conv`, n.attrs)));
    } else {
      out.push(bytesField(1, nodeBytes("Conv", convInputs, [`${y}_f`], n.name || `${y}_conv`, n.attrs)));
      requantize(y);
    }
  }

  // Graph: the new node list where the nodes were, dropped float weights left out, new initializers appended.
  const fields = [];
  let placed = false;
  for (const f of graph) {
    if (f.field === 1) {
      if (!placed) fields.push(...out);
      placed = true;
    } else if (f.field === 5 && dropped.has(str(decodeMessage(f.value).find((x) => x.field === 8).value))) continue;
    else fields.push(f);
  }
  const lastInit = fields.map((f) => f.field).lastIndexOf(5);
  fields.splice(lastInit + 1, 0, ...newInits.map((t) => bytesField(5, t)));
  const newModel = model.map((f, i) => {
    if (i === graphIdx) return bytesField(7, encodeMessage(fields));
    if (f.field === 1) return intField(1, Math.max(7, Number(f.value))); // IR 7: opset 13
    if (f.field === 8) {
      const o = decodeMessage(f.value);
      const domain = o.find((x) => x.field === 1);
      if (!domain || str(domain.value) === "") return bytesField(8, encodeMessage([...(domain ? [domain] : []), intField(2, 13)]));
    }
    return f;
  });
  return { bytes: encodeMessage(newModel), convs: chosen.size };
}

/**
 * Turns the weight-only int8 models of wasm-models/ back into float-weight models (each DequantizeLinear whose
 * inputs are all initializers becomes a float initializer: (q - zero) * scale along axis 0). They are already at
 * opset 13, so quantizeStatic can take them without the opset-9 rewrites of prepare-models.mjs.
 */
export function foldWeightDequant(bytes) {
  const { model, graphIdx, graph, nodes, inits } = readGraph(bytes);
  const folded = new Map();
  for (const n of nodes) {
    if (n.op !== "DequantizeLinear" || !n.inputs.every((i) => inits.has(i))) continue;
    const [qName, sName, zName] = n.inputs;
    const qT = inits.get(qName);
    const dims = tensorDims(qT);
    const raw = qT.find((x) => x.field === 9).value;
    const signed = Number(qT.find((x) => x.field === 2).value) === INT8;
    const scales = tensorFloats(inits.get(sName));
    const zRaw = zName ? inits.get(zName).find((x) => x.field === 9)?.value : undefined;
    const per = raw.length / scales.length;
    const values = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const c = Math.floor(i / per);
      const q = signed ? (raw[i] << 24) >> 24 : raw[i];
      const z = zRaw ? (signed ? (zRaw[c] << 24) >> 24 : zRaw[c]) : 0;
      values[i] = (q - z) * scales[c];
    }
    folded.set(n, makeTensor(n.outputs[0], FLOAT, dims, new Uint8Array(values.buffer)));
  }
  // The folded nodes and the int8 initializers only they read are left out.
  const used = new Set([...folded.keys()].flatMap((n) => n.inputs));
  const initName = (f) => str(decodeMessage(f.value).find((x) => x.field === 8).value);
  const fields = graph.filter((f) => (f.field !== 1 || ![...folded.keys()].some((n) => n.raw === f)) && (f.field !== 5 || !used.has(initName(f))));
  const lastInit = fields.map((f) => f.field).lastIndexOf(5);
  fields.splice(lastInit + 1, 0, ...[...folded.values()].map((t) => bytesField(5, t)));
  return encodeMessage(model.map((f, i) => (i === graphIdx ? bytesField(7, encodeMessage(fields)) : f)));
}
