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
 * bounds the cost at O(n * band). Also returns the share of non-diagonal steps on the optimal path: a genuine
 * signature runs in step with the reference, a forgery (hesitations, a different rhythm) needs more stretching.
 */
export function dtwDetailed(a: FeatureSeq, b: FeatureSeq, band: number): { distance: number; stretch: number } {
  const n = a.length;
  const m = b.length;
  const dims = a.dims;
  const w = Math.max(Math.ceil(band * Math.max(n, m)), Math.abs(n - m) + 1);
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  // Non-diagonal steps and total steps of the best path ending in each cell.
  let prevOff = new Float64Array(m + 1);
  let curOff = new Float64Array(m + 1);
  let prevLen = new Float64Array(m + 1);
  let curLen = new Float64Array(m + 1);
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
      const diag = prev[j - 1]!;
      const up = prev[j]!;
      const left = cur[j - 1]!;
      // Ties go to the diagonal.
      if (diag <= up && diag <= left) {
        cur[j] = d + diag;
        curOff[j] = prevOff[j - 1]!;
        curLen[j] = prevLen[j - 1]! + 1;
      } else if (up <= left) {
        cur[j] = d + up;
        curOff[j] = prevOff[j]! + 1;
        curLen[j] = prevLen[j]! + 1;
      } else {
        cur[j] = d + left;
        curOff[j] = curOff[j - 1]! + 1;
        curLen[j] = curLen[j - 1]! + 1;
      }
    }
    [prev, cur] = [cur, prev];
    [prevOff, curOff] = [curOff, prevOff];
    [prevLen, curLen] = [curLen, prevLen];
  }
  return { distance: prev[m]! / (n + m), stretch: prevOff[m]! / Math.max(1, prevLen[m]!) };
}

export function dtw(a: FeatureSeq, b: FeatureSeq, band: number): number {
  return dtwDetailed(a, b, band).distance;
}

/**
 * Global descriptors of how a signature was written (Fierrez-Aguilar et al. 2005 use a hundred of these; these
 * are the ones that do not depend on the tablet's units or rate). A skilled forger copies the shape, but
 * usually writes slower, with more pauses and lifts, and with a different speed profile: these numbers catch
 * what the shape-dominated DTW distance misses. All are ratios or logs, so device scale cancels.
 */
export function globalFeatures(r: Resampled, stepMs: number): number[] {
  const n = r.x.length;
  const vx = derivative(r.x);
  const vy = derivative(r.y);
  const down = r.p.map((p) => p > 0);
  const speed = vx.map((v, i) => Math.hypot(v, vy[i]!));
  const w = Math.max(...r.x) - Math.min(...r.x);
  const h = Math.max(...r.y) - Math.min(...r.y);
  const size = Math.hypot(w, h) || 1;
  let strokes = 0;
  let downCount = 0;
  let path = 0;
  let vxZero = 0;
  let vyZero = 0;
  for (let i = 0; i < n; i++) {
    if (down[i]) {
      downCount++;
      if (i === 0 || !down[i - 1]) strokes++;
      path += speed[i]!;
    }
    if (i > 0 && Math.sign(vx[i]!) !== Math.sign(vx[i - 1]!)) vxZero++;
    if (i > 0 && Math.sign(vy[i]!) !== Math.sign(vy[i - 1]!)) vyZero++;
  }
  const seconds = (n * stepMs) / 1000;
  const sortedSpeed = speed.filter((_, i) => down[i]).sort((a, b) => a - b);
  const q = (f: number) => sortedSpeed[Math.floor(f * (sortedSpeed.length - 1))] ?? 0;
  const sd = (a: number[]) => {
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / a.length);
  };
  const pDown = r.p.filter((_, i) => down[i]);
  const pMean = pDown.reduce((a, b) => a + b, 0) / Math.max(1, pDown.length);
  return [
    Math.log(seconds),
    downCount / n,
    Math.log(strokes + 1),
    Math.log((path / size / Math.max(downCount, 1)) * (1000 / stepMs) + 1e-3), // mean pen-down speed, sizes per second
    Math.log((q(0.95) / size) * (1000 / stepMs) + 1e-3),
    Math.log((q(0.5) + 1e-9) / (q(0.95) + 1e-9)), // how even the speed is
    Math.log((sd(vx) + 1e-9) / (sd(vy) + 1e-9)),
    Math.log((w + 1e-9) / (h + 1e-9)),
    Math.log(path / size + 1e-3),
    (vxZero + vyZero) / seconds / 10, // direction changes per second
    pMean > 0 ? sd(pDown) / pMean : 0,
  ];
}
