// The trained voice projection in plain JS: y = normalize(x W + b). Used to validate the ONNX export and
// as the reference the tests compare the runtime against; production runs the same numbers through
// onnxruntime-web (embedder.ts).

export interface LinearProjection {
  inputDim: number;
  outputDim: number;
  /** Row-major [inputDim, outputDim]. */
  weight: Float32Array;
  bias: Float32Array;
}

export function projectStats(x: Float32Array, p: LinearProjection): Float32Array {
  const y = new Float64Array(p.outputDim);
  for (let i = 0; i < p.inputDim; i++) {
    const xi = x[i]!;
    const row = i * p.outputDim;
    for (let j = 0; j < p.outputDim; j++) y[j] = y[j]! + xi * p.weight[row + j]!;
  }
  for (let j = 0; j < p.outputDim; j++) y[j] = y[j]! + p.bias[j]!;
  return l2normalize(Float32Array.from(y));
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  if (!(n > 0)) return v;
  return v.map((x) => x / n);
}

/** Cosine similarity; both sides are renormalised so templates built by other code paths compare fairly. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
