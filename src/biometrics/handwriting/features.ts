// From a raw pen trajectory to the per-point feature sequence DTW compares.
//
// Why: devices sample at different, sometimes irregular rates (a tablet at 100 Hz, a browser at whatever rate
// pointer events arrive), so the trajectory is first resampled on a uniform time grid; time gaps (the pen lifted,
// which browsers do not report) become pressure 0 like the hovering points a tablet records. Each feature is then
// z-normalised within the signature, which removes position, size and pressure-calibration differences: what
// is left is the shape and the rhythm, which is what a forger finds hard to copy.
import type { PenTrajectory } from "./parse";

export interface FeatureParams {
  /** Resampling step in ms (10 ms = MCYT's 100 Hz; 20 ms halves the DTW cost). */
  stepMs: number;
  /** Features per point, in order. */
  features: FeatureName[];
}

export type FeatureName = "x" | "y" | "vx" | "vy" | "p" | "ax" | "ay" | "speed" | "cos" | "sin" | "dp";

/** Uniformly resampled pen signals: what a writer model stores as a reference. */
export interface Resampled {
  x: number[];
  y: number[];
  p: number[];
}

/** A feature sequence: `dims` values per point, row-major. */
export interface FeatureSeq {
  dims: number;
  length: number;
  data: Float64Array;
}

export function resample(tr: PenTrajectory, stepMs: number): Resampled {
  const { t, x, y, pressure } = tr;
  const n = t.length;
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) if (t[i]! > t[i - 1]!) gaps.push(t[i]! - t[i - 1]!);
  gaps.sort((a, b) => a - b);
  const typical = gaps[gaps.length >> 1] ?? stepMs;
  // Longer than this between two reported points, the pen was lifted.
  const liftGap = Math.max(50, 4 * typical);
  const out: Resampled = { x: [], y: [], p: [] };
  const end = t[n - 1]!;
  let i = 0;
  for (let tt = 0; tt <= end + 1e-9; tt += stepMs) {
    while (i < n - 2 && t[i + 1]! < tt) i++;
    const ta = t[i]!;
    const tb = t[i + 1]!;
    const f = tb > ta ? Math.min(1, Math.max(0, (tt - ta) / (tb - ta))) : 0;
    out.x.push(x[i]! + f * (x[i + 1]! - x[i]!));
    out.y.push(y[i]! + f * (y[i + 1]! - y[i]!));
    const inGap = tb - ta > liftGap && f > 0 && f < 1;
    out.p.push(inGap ? 0 : pressure[i]! + f * (pressure[i + 1]! - pressure[i]!));
  }
  return out;
}

/** Derivative by a ±2-sample regression (a plain difference amplifies the tablet's quantisation noise). */
function derivative(s: number[]): number[] {
  const n = s.length;
  const at = (k: number) => s[Math.min(n - 1, Math.max(0, k))]!;
  return s.map((_, i) => (at(i + 1) - at(i - 1) + 2 * (at(i + 2) - at(i - 2))) / 10);
}

export function featureSeq(r: Resampled, names: FeatureName[]): FeatureSeq {
  const vx = derivative(r.x);
  const vy = derivative(r.y);
  const speed = vx.map((v, i) => Math.hypot(v, vy[i]!));
  const cols: Record<FeatureName, () => number[]> = {
    x: () => r.x,
    y: () => r.y,
    vx: () => vx,
    vy: () => vy,
    p: () => r.p,
    ax: () => derivative(vx),
    ay: () => derivative(vy),
    speed: () => speed,
    cos: () => vx.map((v, i) => (speed[i]! > 1e-9 ? v / speed[i]! : 0)),
    sin: () => vy.map((v, i) => (speed[i]! > 1e-9 ? v / speed[i]! : 0)),
    dp: () => derivative(r.p),
  };
  const n = r.x.length;
  const dims = names.length;
  const data = new Float64Array(n * dims);
  names.forEach((name, d) => {
    const c = cols[name]();
    let m = 0;
    for (const v of c) m += v;
    m /= n;
    let v2 = 0;
    for (const v of c) v2 += (v - m) ** 2;
    // A constant column (no pressure sensor) carries no information: it stays 0 rather than dividing by 0.
    const sd = Math.sqrt(v2 / n);
    for (let i = 0; i < n; i++) data[i * dims + d] = sd > 1e-9 ? (c[i]! - m) / sd : 0;
  });
  return { dims, length: n, data };
}

/**
 * Dynamic time warping with a Sakoe-Chiba band and an L1 local distance, normalised by the two lengths so long and
 * short signatures compare on the same scale. The band (a fraction of the longer sequence, never narrower than
 * the length difference) stops pathological warps that let a forgery borrow any piece of the reference, and
 * bounds the cost at O(n * band).
 */
export function dtw(a: FeatureSeq, b: FeatureSeq, band: number): number {
  const n = a.length;
  const m = b.length;
  const dims = a.dims;
  const w = Math.max(Math.ceil(band * Math.max(n, m)), Math.abs(n - m) + 1);
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  const A = a.data;
  const B = b.data;
  for (let i = 1; i <= n; i++) {
    cur.fill(Infinity);
    // Band around the diagonal scaled to the two lengths.
    const centre = Math.round((i * m) / n);
    const lo = Math.max(1, centre - w);
    const hi = Math.min(m, centre + w);
    const ai = (i - 1) * dims;
    for (let j = lo; j <= hi; j++) {
      const bj = (j - 1) * dims;
      let d = 0;
      for (let k = 0; k < dims; k++) d += Math.abs(A[ai + k]! - B[bj + k]!);
      cur[j] = d + Math.min(prev[j - 1]!, prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m]! / (n + m);
}
