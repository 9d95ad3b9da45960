// Minimal ONNX (protobuf) writer for the tiny graphs the voice model needs: float tensors as initializers,
// a few nodes with int/float attributes, typed inputs/outputs with symbolic batch dims, metadata.
// Field numbers from onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto, TypeProto). Dependency-free so the training script runs with a bare `npm ci`.

class Pb {
  private parts: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.done());
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    for (const x of b) this.parts.push(x);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface OnnxTensorInit {
  name: string;
  dims: number[];
  data: Float32Array;
}
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | { float: number }>;
}
export interface OnnxValue {
  name: string;
  /** number = fixed size, string = symbolic dim */
  shape: (number | string)[];
}
export interface OnnxModelSpec {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensorInit[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opset: number;
  producer: string;
  docString?: string;
  metadata?: Record<string, string>;
}

const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function tensor(t: OnnxTensorInit): Pb {
  const m = new Pb();
  for (const d of t.dims) m.int(1, d);
  m.int(2, FLOAT);
  m.string(8, t.name);
  // raw_data: little-endian float32, exactly what the runtimes read.
  m.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return m;
}

function valueInfo(v: OnnxValue): Pb {
  const shape = new Pb();
  for (const d of v.shape) shape.msg(1, typeof d === "number" ? new Pb().int(1, d) : new Pb().string(2, d));
  const tensorType = new Pb().int(1, FLOAT).msg(2, shape);
  return new Pb().string(1, v.name).msg(2, new Pb().msg(1, tensorType));
}

function node(n: OnnxNode, i: number): Pb {
  const m = new Pb();
  for (const x of n.inputs) m.string(1, x);
  for (const x of n.outputs) m.string(2, x);
  m.string(3, n.name ?? `${n.op}_${i}`);
  m.string(4, n.op);
  for (const [name, v] of Object.entries(n.attrs ?? {})) {
    const a = new Pb().string(1, name);
    if (typeof v === "number") a.int(3, v).int(20, ATTR_INT);
    else if (Array.isArray(v)) {
      for (const x of v) a.int(8, x);
      a.int(20, ATTR_INTS);
    } else a.float(2, v.float).int(20, ATTR_FLOAT);
    m.msg(5, a);
  }
  return m;
}

export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const g = new Pb();
  spec.nodes.forEach((n, i) => g.msg(1, node(n, i)));
  g.string(2, spec.graphName);
  for (const t of spec.initializers) g.msg(5, tensor(t));
  if (spec.docString) g.string(10, spec.docString);
  for (const v of spec.inputs) g.msg(11, valueInfo(v));
  for (const v of spec.outputs) g.msg(12, valueInfo(v));
  const m = new Pb();
  m.int(1, 8); // ir_version 8 (ONNX 1.10+), read by every current runtime
  m.string(2, spec.producer);
  m.msg(7, g);
  m.msg(8, new Pb().string(1, "").int(2, spec.opset));
  for (const [k, v] of Object.entries(spec.metadata ?? {})) m.msg(14, new Pb().string(1, k).string(2, v));
  return m.done();
}
