// Global descriptors of a signature: one fixed-length vector that summarises how it was written, compared with
// the writer's references as a second opinion next to DTW.
//
// Why: DTW compares the shape and rhythm point by point, after each feature is z-normalised within the signature,
// so it is blind to what a skilled forger gets wrong on the whole: the duration, the mean and peak speed, the
// share of time the pen is down, the number of strokes, the aspect ratio, and the distributions of writing
// direction, curvature, speed, acceleration and pressure (histograms, as in Sae-Bae & Memon's online-signature
// system). Each descriptor is scale-free (computed on the size-normalised signature, speeds relative to their
// mean), so tablets, pens and browser canvases give comparable values.
//
// A probe's distance to the writer is the mean over descriptors of |value - reference mean| / spread, where the
// spread is the references' own standard deviation shrunk toward a population spread (5 references cannot
// estimate a spread alone; a descriptor the references happen to agree on must not make every new signature
// look like a forgery).
import type { Resampled } from "./features";

const mean = (a: number[]) => (a.length === 0 ? 0 : a.reduce((x, y) => x + y, 0) / a.length);
/** Sample standard deviation (n - 1). */
function sampleSd(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
}

/** Derivative by a ±2-sample regression (as in features.ts). */
function derivative(s: number[]): number[] {
  const n = s.length;
  const at = (k: number) => s[Math.min(n - 1, Math.max(0, k))]!;
  return s.map((_, i) => (at(i + 1) - at(i - 1) + 2 * (at(i + 2) - at(i - 2))) / 10);
}

/** Fractions of `values` falling below each edge, between consecutive edges and above the last (sums to 1). */
function histogram(values: number[], edges: number[]): number[] {
  const h: number[] = new Array(edges.length + 1).fill(0);
  for (const v of values) {
    let k = 0;
    while (k < edges.length && v >= edges[k]!) k++;
    h[k]!++;
  }
  return h.map((c) => c / Math.max(1, values.length));
}

const wrapAngle = (d: number) => (d > Math.PI ? d - 2 * Math.PI : d < -Math.PI ? d + 2 * Math.PI : d);
const EPS = 1e-6;
/** 8 direction sectors of 45 degrees. */
const DIRECTION_EDGES = [1, 2, 3, 4, 5, 6, 7].map((k) => -Math.PI + (k * Math.PI) / 4);
/** Turning angle between consecutive samples (radians per step). */
const TURN_EDGES = [-0.3, -0.1, -0.03, 0, 0.03, 0.1, 0.3];
/** A value relative to its signature's mean (speed, acceleration). */
const RELATIVE_EDGES = [0.25, 0.5, 0.75, 1, 1.5, 2, 3];
const PRESSURE_EDGES = [0.5, 0.75, 0.9, 1, 1.1, 1.25];
/** Position within the bounding box, in eighths. */
const POSITION_EDGES = [1, 2, 3, 4, 5, 6, 7].map((k) => k / 8);

/** Names of the descriptors, in order (15 scalars, then 63 histogram bins). */
export const DESCRIPTOR_NAMES: readonly string[] = [
  "log duration",
  "pen-down ratio",
  "log strokes",
  "log path length",
  "log mean speed",
  "log p95 speed",
  "log aspect",
  "speed variation",
  "mean pressure / max",
  "log pen-down time",
  "share moving right",
  "share moving down",
  "log mean acceleration",
  "log width",
  "log height",
  ...[
    ["direction", 8],
    ["acceleration direction", 8],
    ["turning", 8],
    ["relative speed", 8],
    ["relative acceleration", 8],
    ["relative pressure", 7],
    ["x position", 8],
    ["y position", 8],
  ].flatMap(([name, bins]) => Array.from({ length: bins as number }, (_, i) => `${name} ${i + 1}`)),
];
export const DESCRIPTOR_COUNT = DESCRIPTOR_NAMES.length;

/** The descriptor vector of one resampled signature (finite for any trajectory the parser accepts). */
export function signatureDescriptors(r: Resampled, stepMs: number): number[] {
  const n = r.x.length;
  const mx = mean(r.x);
  const my = mean(r.y);
  const size = Math.sqrt(mean(r.x.map((v) => (v - mx) ** 2)) + mean(r.y.map((v) => (v - my) ** 2))) || 1;
  const x = r.x.map((v) => (v - mx) / size);
  const y = r.y.map((v) => (v - my) / size);
  const vx = derivative(x);
  const vy = derivative(y);
  const ax = derivative(vx);
  const ay = derivative(vy);
  // Pen-down samples; a trajectory whose resampling missed every pressed point counts as written throughout.
  let down = [...Array(n).keys()].filter((i) => r.p[i]! > 0);
  if (down.length === 0) down = [...Array(n).keys()];
  const isDown = new Array<boolean>(n).fill(false);
  for (const i of down) isDown[i] = true;
  const perSecond = 1000 / stepMs;
  const speed = down.map((i) => Math.hypot(vx[i]!, vy[i]!) * perSecond);
  const accel = down.map((i) => Math.hypot(ax[i]!, ay[i]!) * perSecond * perSecond);
  const meanSpeed = mean(speed);
  const meanAccel = mean(accel);
  const sortedSpeed = [...speed].sort((a, b) => a - b);
  let strokes = 0;
  let path = 0;
  for (let i = 0; i < n; i++) {
    if (isDown[i] && (i === 0 || !isDown[i - 1])) strokes++;
    if (i > 0 && isDown[i] && isDown[i - 1]) path += Math.hypot(x[i]! - x[i - 1]!, y[i]! - y[i - 1]!);
  }
  const sdx = Math.sqrt(mean(x.map((v) => v * v)));
  const sdy = Math.sqrt(mean(y.map((v) => v * v)));
  const maxP = Math.max(...r.p) || 1;
  const pressure = down.map((i) => r.p[i]!);
  const meanP = mean(pressure) || 1;
  const direction = down.map((i) => Math.atan2(vy[i]!, vx[i]!));
  const accelDirection = down.map((i) => Math.atan2(ay[i]!, ax[i]!));
  const turning = direction.slice(1).map((d, k) => wrapAngle(d - direction[k]!));
  const xs = down.map((i) => x[i]!);
  const ys = down.map((i) => y[i]!);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scalars = [
    Math.log(n * stepMs),
    down.length / n,
    Math.log(Math.max(1, strokes)),
    Math.log(path + 1e-3),
    Math.log(meanSpeed + EPS),
    Math.log(sortedSpeed[Math.floor(0.95 * (sortedSpeed.length - 1))]! + EPS),
    Math.log((sdx + 1e-3) / (sdy + 1e-3)),
    Math.sqrt(mean(speed.map((v) => (v - meanSpeed) ** 2))) / (meanSpeed + EPS),
    mean(pressure) / maxP,
    Math.log(down.length * stepMs),
    down.filter((i) => vx[i]! > 0).length / down.length,
    down.filter((i) => vy[i]! > 0).length / down.length,
    Math.log(meanAccel + EPS),
    Math.log(Math.max(...x) - Math.min(...x) + 1e-3),
    Math.log(Math.max(...y) - Math.min(...y) + 1e-3),
  ];
  return [
    ...scalars,
    ...histogram(direction, DIRECTION_EDGES),
    ...histogram(accelDirection, DIRECTION_EDGES),
    ...histogram(turning, TURN_EDGES),
    ...histogram(speed.map((v) => v / (meanSpeed || 1)), RELATIVE_EDGES),
    ...histogram(accel.map((v) => v / (meanAccel || 1)), RELATIVE_EDGES),
    ...histogram(pressure.map((v) => v / meanP), PRESSURE_EDGES),
    ...histogram(xs.map((v) => (v - x0) / (x1 - x0 || 1)), POSITION_EDGES),
    ...histogram(ys.map((v) => (v - y0) / (y1 - y0 || 1)), POSITION_EDGES),
  ];
}

/**
 * Typical within-writer standard deviation of each descriptor: the root mean square over MCYT writers 031-100
 * (their 5 enrolment signatures each; writers 001-020, on which the error rates are measured, are not used).
 * Regenerate with `npx tsx bench/handwriting.ts --population` if the descriptors change.
 */
export const POPULATION_SPREAD: readonly number[] = [
  0.0653, 0.0297, 0.101, 0.0599, 0.0773, 0.118, 0.0992, 0.0807, 0.0444, 0.0588, 0.0246, 0.0216, 0.0943, 0.0641, 0.109,
  0.0195, 0.0279, 0.0243, 0.0183, 0.0274, 0.0212, 0.0176, 0.0127, 0.0218, 0.0248, 0.0209, 0.0146, 0.0224, 0.0218, 0.0181,
  0.0163, 0.0164, 0.0181, 0.0186, 0.0191, 0.0286, 0.0258, 0.0284, 0.0265, 0.0267, 0.0286, 0.0298, 0.0228, 0.0231, 0.0157,
  0.0146, 0.00972, 0.0298, 0.0334, 0.0328, 0.0277, 0.0317, 0.0199, 0.0167, 0.011, 0.0174, 0.0353, 0.0364, 0.055, 0.0785,
  0.0765, 0.0505, 0.0295, 0.0363, 0.041, 0.0445, 0.0497, 0.042, 0.0355, 0.0392, 0.0315, 0.0397, 0.062, 0.0671, 0.0555,
  0.0518, 0.039, 0.0245,
];

/** What a writer model keeps of its references' descriptors. */
export interface DescriptorStats {
  /** Mean descriptor vector of the references. */
  mean: number[];
  /** Per descriptor: the references' spread shrunk toward `shrink` times the population spread. */
  spread: number[];
  /** Mean leave-one-out distance of a reference to the others: the writer's own scale. */
  looMean: number;
}

function statsOf(refs: number[][], shrink: number): { mean: number[]; spread: number[] } {
  const dims = refs[0]!.length;
  const m: number[] = [];
  const spread: number[] = [];
  for (let d = 0; d < dims; d++) {
    const v = refs.map((r) => r[d]!);
    m.push(mean(v));
    spread.push(Math.sqrt(sampleSd(v) ** 2 + (shrink * POPULATION_SPREAD[d]!) ** 2) + EPS);
  }
  return { mean: m, spread };
}

/** Mean over descriptors of |value - mean| / spread. */
export function descriptorDistance(stats: { mean: number[]; spread: number[] }, x: number[]): number {
  let s = 0;
  for (let d = 0; d < x.length; d++) s += Math.abs(x[d]! - stats.mean[d]!) / stats.spread[d]!;
  return s / x.length;
}

export function descriptorStats(refs: number[][], shrink: number): DescriptorStats {
  const loo = refs.map((r, k) => descriptorDistance(statsOf(refs.filter((_, j) => j !== k), shrink), r));
  return { ...statsOf(refs, shrink), looMean: mean(loo) };
}
