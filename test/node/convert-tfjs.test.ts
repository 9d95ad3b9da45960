// The TF.js graph -> ONNX converter of the face model bake-off (scripts/face-models/convert-tfjs.mjs) on a
// tiny hand-made graph: its ONNX output under onnxruntime-web must equal a plain NHWC implementation of the
// same TF ops written here (SAME padding with the odd pixel at the end, depthwise channel order, the TF-slim
// PReLU pattern, a reduction over H and W), and the weight decoder must read float16 and uint8 weights.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without type declarations
import { convertGraphModel, readWeights } from "../../scripts/face-models/convert-tfjs.mjs";

const ort = createRequire(import.meta.url)("onnxruntime-web") as typeof import("onnxruntime-web");
ort.env.wasm.numThreads = 1;

const b64 = (s: string) => Buffer.from(s).toString("base64");
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.8);

// NHWC reference ops, as TensorFlow defines them.
function conv(x: Float32Array, h: number, w: number, c: number, k: Float32Array, kh: number, kw: number, o: number, stride: number, depthwise: boolean) {
  const oh = Math.ceil(h / stride), ow = Math.ceil(w / stride);
  const padT = Math.floor(Math.max((oh - 1) * stride + kh - h, 0) / 2);
  const padL = Math.floor(Math.max((ow - 1) * stride + kw - w, 0) / 2);
  const oc = depthwise ? c * o : o;
  const out = new Float32Array(oh * ow * oc);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++)
      for (let q = 0; q < oc; q++) {
        let s = 0;
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const sy = y * stride + i - padT, sx = xx * stride + j - padL;
            if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
            if (depthwise) {
              const ch = Math.floor(q / o), m = q % o;
              s += x[(sy * w + sx) * c + ch]! * k[((i * kw + j) * c + ch) * o + m]!;
            } else for (let ch = 0; ch < c; ch++) s += x[(sy * w + sx) * c + ch]! * k[((i * kw + j) * c + ch) * o + q]!;
          }
        out[(y * ow + xx) * oc + q] = s;
      }
  return { out, h: oh, w: ow, c: oc };
}

describe("convert-tfjs", () => {
  it("converts conv + PReLU + depthwise conv + mean like TensorFlow computes them", async () => {
    const W = new Map<string, { shape: number[]; dtype: string; values: Float32Array | Int32Array }>([
      ["k1", { shape: [3, 3, 3, 4], dtype: "float32", values: rand(108, 1) }],
      ["b1", { shape: [4], dtype: "float32", values: rand(4, 2) }],
      ["alpha", { shape: [4], dtype: "float32", values: Float32Array.from([0.05, 0.1, 0.15, 0.2]) }],
      ["k2", { shape: [3, 3, 4, 2], dtype: "float32", values: rand(72, 3) }],
      ["b2", { shape: [8], dtype: "float32", values: rand(8, 4) }],
      ["axes", { shape: [2], dtype: "int32", values: Int32Array.from([1, 2]) }],
      ["head", { shape: [8, 2], dtype: "float32", values: rand(16, 5) }],
    ]);
    const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
    const convAttr = (stride: number, fused: string[]) => ({ strides: ints([1, stride, stride, 1]), padding: { s: b64("SAME") }, dilations: ints([1, 1, 1, 1]), data_format: { s: b64("NHWC") }, fused_ops: { list: { s: fused.map(b64) } } });
    const topology = {
      node: [
        ...["k1", "b1", "alpha", "k2", "b2", "axes", "head"].map((n) => node(n, "Const")),
        node("x", "Placeholder"),
        node("c1", "_FusedConv2D", ["x", "k1", "b1"], convAttr(2, ["BiasAdd"])),
        node("relu", "Relu", ["c1"]),
        node("abs", "Abs", ["c1"]),
        node("sub", "Sub", ["c1", "abs"]),
        node("mul", "Mul", ["sub", "alpha"]),
        node("prelu", "Add", ["relu", "mul"]),
        node("c2", "FusedDepthwiseConv2dNative", ["prelu", "k2", "b2"], convAttr(1, ["BiasAdd"])),
        node("mean", "Mean", ["c2", "axes"], { keep_dims: { b: false } }),
        node("unused_head", "MatMul", ["mean", "head"]), // not asked for: pruned
      ],
    };
    const { bytes, ops } = convertGraphModel({ modelTopology: topology }, W, { outputs: ["mean"], inputShape: [1, 3, 8, 6] });
    expect(ops).not.toContain("MatMul");
    expect(ops).toContain("_Prelu"); // the four-op PReLU became one

    const [h, w] = [8, 6]; // with stride 2 and a 3x3 kernel, SAME pads 0 before and 1 after: asymmetric
    const nhwc = rand(h * w * 3, 9);
    const nchw = new Float32Array(nhwc.length);
    for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) nchw[c * h * w + i] = nhwc[i * 3 + c]!;

    const a = conv(nhwc, h, w, 3, W.get("k1")!.values as Float32Array, 3, 3, 4, 2, false);
    const alpha = W.get("alpha")!.values;
    const b1 = W.get("b1")!.values;
    const p = a.out.map((v, i) => {
      const z = v + b1[i % 4]!;
      return Math.max(z, 0) + alpha[i % 4]! * (z - Math.abs(z));
    });
    const d = conv(p, a.h, a.w, 4, W.get("k2")!.values as Float32Array, 3, 3, 2, 1, true);
    const b2 = W.get("b2")!.values;
    const expected = new Float32Array(8);
    for (let i = 0; i < d.out.length; i++) expected[i % 8] = expected[i % 8]! + (d.out[i]! + b2[i % 8]!) / (d.h * d.w);

    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", nchw, [1, 3, h, w]) });
    const got = out[session.outputNames[0]!]!.data as Float32Array;
    expect(got.length).toBe(8);
    for (let i = 0; i < 8; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
  });

  it("reads float16 and uint8-quantized weights", () => {
    const half = Buffer.alloc(4);
    half.writeUInt16LE(0x3c00, 0); // 1.0
    half.writeUInt16LE(0xc100, 2); // -2.5
    const q = Buffer.from([0, 10, 255]);
    const manifest = [
      { paths: ["a"], weights: [{ name: "h", shape: [2], dtype: "float32", quantization: { dtype: "float16" } }] },
      { paths: ["b"], weights: [{ name: "u", shape: [3], dtype: "float32", quantization: { dtype: "uint8", scale: 0.5, min: -1 } }] },
    ];
    const w = readWeights(manifest, (p: string) => (p === "a" ? half : q));
    expect(Array.from(w.get("h").values)).toEqual([1, -2.5]);
    expect(Array.from(w.get("u").values)).toEqual([-1, 4, 126.5]);
  });
});
