// Kept coefficients -> pixels at 1/d scale: a reduced inverse DCT per block (n x n outputs from the
// n x n lowest frequencies, n = 8/d), then chroma upsampling (nearest) and YCbCr -> RGB.
import type { Frame } from "./frame";

/**
 * basis[y * n + u]: output sample y of an n-point reduced IDCT from frequency u. Each is the mean of the
 * 8-point JPEG IDCT basis (C(u)/2) cos((2x+1)u pi/16) over the d source samples x that output y covers, so
 * the result is the box-filtered full-size block minus the dropped high frequencies (d = 8: DC / 8).
 */
function reducedBasis(n: number): Float32Array {
  const d = 8 / n;
  const out = new Float32Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let u = 0; u < n; u++) {
      let sum = 0;
      for (let x = y * d; x < (y + 1) * d; x++) sum += Math.cos(((2 * x + 1) * u * Math.PI) / 16);
      out[y * n + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * (sum / d);
    }
  }
  return out;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : (v + 0.5) | 0);

/** Each component's plane of samples (bwPad*n x bhPad*n) at the reduced scale. */
function planes(f: Frame, quant: (tq: number) => Uint16Array): Uint8Array[] {
  const n = f.n;
  const n2 = n * n;
  const basis = reducedBasis(n);
  const q = new Float32Array(n2);
  const tmp = new Float32Array(n2);
  return f.components.map((c) => {
    const table = quant(c.tq);
    for (let i = 0; i < n2; i++) q[i] = table[(Math.floor(i / n) << 3) | i % n]!;
    const stride = c.bwPad * n;
    const plane = new Uint8Array(stride * c.bhPad * n);
    const coef = c.coef;
    for (let by = 0; by < c.bhPad; by++) {
      for (let bx = 0; bx < c.bwPad; bx++) {
        const b = (by * c.bwPad + bx) * n2;
        const o = by * n * stride + bx * n;
        if (n === 1) {
          plane[o] = clamp((coef[b]! * q[0]!) / 8 + 128);
          continue;
        }
        if (n === 2) {
          // The same sums written out for the 1/4 scale that 24-40 MP photos take.
          const f00 = coef[b]! * q[0]!, f01 = coef[b + 1]! * q[1]!, f10 = coef[b + 2]! * q[2]!, f11 = coef[b + 3]! * q[3]!;
          const a0 = basis[0]!, a1 = basis[1]!, c0 = basis[2]!, c1 = basis[3]!;
          const t00 = f00 * a0 + f01 * a1, t01 = f00 * c0 + f01 * c1, t10 = f10 * a0 + f11 * a1, t11 = f10 * c0 + f11 * c1;
          plane[o] = clamp(128 + a0 * t00 + a1 * t10);
          plane[o + 1] = clamp(128 + a0 * t01 + a1 * t11);
          plane[o + stride] = clamp(128 + c0 * t00 + c1 * t10);
          plane[o + stride + 1] = clamp(128 + c0 * t01 + c1 * t11);
          continue;
        }
        // Rows: tmp[u][x] = sum_v F[u][v] basis[x][v]; columns: out[y][x] = sum_u basis[y][u] tmp[u][x].
        for (let u = 0; u < n; u++) {
          for (let x = 0; x < n; x++) {
            let s = 0;
            for (let v = 0; v < n; v++) s += coef[b + u * n + v]! * q[u * n + v]! * basis[x * n + v]!;
            tmp[u * n + x] = s;
          }
        }
        for (let y = 0; y < n; y++) {
          for (let x = 0; x < n; x++) {
            let s = 128;
            for (let u = 0; u < n; u++) s += basis[y * n + u]! * tmp[u * n + x]!;
            plane[o + y * stride + x] = clamp(s);
          }
        }
      }
    }
    return plane;
  });
}

/** The frame as 8-bit RGB at ceil(width/d) x ceil(height/d). `rgb` says the three components are R, G, B (Adobe transform 0). */
export function toRgb(f: Frame, quant: (tq: number) => Uint16Array, rgb: boolean): { width: number; height: number; data: Uint8Array } {
  const d = 8 / f.n;
  const width = Math.ceil(f.width / d);
  const height = Math.ceil(f.height / d);
  const ps = planes(f, quant);
  const out = new Uint8Array(width * height * 3);
  const cs = f.components;
  if (cs.length === 1) {
    const p = ps[0]!;
    const stride = cs[0]!.bwPad * f.n;
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) out[o] = out[o + 1] = out[o + 2] = p[y * stride + x]!;
    }
    return { width, height, data: out };
  }
  // Source column of each output column, per component (subsampled chroma repeats its samples).
  const cols = cs.map((c) => Int32Array.from({ length: width }, (_, x) => Math.floor((x * c.h) / f.hmax)));
  const strides = cs.map((c) => c.bwPad * f.n);
  const [p0, p1, p2] = ps as [Uint8Array, Uint8Array, Uint8Array];
  const [c0, c1, c2] = cols as [Int32Array, Int32Array, Int32Array];
  for (let y = 0, o = 0; y < height; y++) {
    const r0 = Math.floor((y * cs[0]!.v) / f.vmax) * strides[0]!;
    const r1 = Math.floor((y * cs[1]!.v) / f.vmax) * strides[1]!;
    const r2 = Math.floor((y * cs[2]!.v) / f.vmax) * strides[2]!;
    for (let x = 0; x < width; x++, o += 3) {
      const a = p0[r0 + c0[x]!]!;
      const b = p1[r1 + c1[x]!]!;
      const e = p2[r2 + c2[x]!]!;
      if (rgb) {
        out[o] = a;
        out[o + 1] = b;
        out[o + 2] = e;
      } else {
        out[o] = clamp(a + 1.402 * (e - 128));
        out[o + 1] = clamp(a - 0.344136 * (b - 128) - 0.714136 * (e - 128));
        out[o + 2] = clamp(a + 1.772 * (b - 128));
      }
    }
  }
  return { width, height, data: out };
}
