// A minimal protobuf wire-format codec for ONNX files: enough to read a ModelProto, rewrite the graph's
// nodes and initializers, and write it back. Fields we do not touch are kept as their raw bytes, so an
// unchanged message re-encodes byte for byte. Hand-written (no .proto compiler) to keep the model script
// free of code generation; field numbers follow onnx/onnx.proto.

/** Decodes one message into an ordered list of {field, wire, value} (value: bigint for varints, Uint8Array otherwise). */
export function decodeMessage(buf) {
  const out = [];
  let pos = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error("truncated varint");
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 5) {
      out.push({ field, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else if (wire === 1) {
      out.push({ field, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

function encodeVarint(n) {
  let v = BigInt.asUintN(64, BigInt(n));
  const bytes = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    bytes.push(b);
  } while (v > 0n);
  return Uint8Array.from(bytes);
}

/** Encodes the list form back into bytes (nested messages must already be encoded to Uint8Array). */
export function encodeMessage(fields) {
  const parts = [];
  for (const { field, wire, value } of fields) {
    parts.push(encodeVarint((field << 3) | wire));
    if (wire === 0) parts.push(encodeVarint(value));
    else if (wire === 2) {
      parts.push(encodeVarint(value.length));
      parts.push(value);
    } else parts.push(value);
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const utf8 = new TextDecoder();
const enc = new TextEncoder();
export const str = (bytes) => utf8.decode(bytes);
export const strField = (field, s) => ({ field, wire: 2, value: enc.encode(s) });
export const intField = (field, n) => ({ field, wire: 0, value: BigInt(n) });
export const bytesField = (field, b) => ({ field, wire: 2, value: b });

/** Reads the packed or unpacked repeated int64 `dims` of a TensorProto. */
export function tensorDims(fields) {
  const dims = [];
  for (const f of fields) {
    if (f.field !== 1) continue;
    if (f.wire === 0) dims.push(Number(f.value));
    else for (const d of decodePackedVarints(f.value)) dims.push(d);
  }
  return dims;
}

function decodePackedVarints(buf) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(Number(BigInt.asIntN(64, result)));
  }
  return out;
}

/** The float32 values of a TensorProto (raw_data or float_data). */
export function tensorFloats(fields) {
  const raw = fields.find((f) => f.field === 9);
  if (raw) return new Float32Array(Uint8Array.from(raw.value).buffer); // a copy: Buffer.slice would be a view
  const packed = fields.filter((f) => f.field === 4);
  const values = [];
  for (const f of packed) {
    if (f.wire === 5) values.push(new DataView(f.value.buffer, f.value.byteOffset, 4).getFloat32(0, true));
    else for (let i = 0; i < f.value.length; i += 4) values.push(new DataView(f.value.buffer, f.value.byteOffset + i, 4).getFloat32(0, true));
  }
  return Float32Array.from(values);
}

/** A TensorProto: dims, data type (1 float, 3 int8), name, raw little-endian data. */
export function makeTensor(name, dataType, dims, raw) {
  return encodeMessage([
    ...dims.map((d) => intField(1, d)),
    intField(2, dataType),
    strField(8, name),
    bytesField(9, raw),
  ]);
}
