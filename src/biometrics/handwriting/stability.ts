// Stability-modulated DTW (after Parziale, Diaz, Ferrer & Marcelli 2019, "SM-DTW: Stability Modulated Dynamic
// Time Warping for signature verification").
//
// Why: a writer reproduces some parts of a signature almost identically every time (the practised, automatic
// strokes) and others loosely (a flourish, the end of a stroke, a hesitation). Plain DTW counts a mismatch in
// either the same, so a genuine signature that wanders in a loose part looks as far as a forgery that gets a
// stable part wrong. At enrolment each reference is aligned with the writer's other references; a reference
// point is "stable" with respect to another reference when the warping path matches it one-to-one (a diagonal
// step into a point the path visits once: the two signatures progress at the same pace there), and its
// stability is the share of the other references for which it is. At verification the local cost at reference
// point j is multiplied by a weight that grows with j's stability, normalised to mean 1 over the reference so
// distances keep v2's scale; `stabilityWeight` (0 = plain DTW, 1 = cost proportional to stability) sets how
// much.
//
// The model stores, per reference, the count of other references that match each point directly, one decimal
// digit per point (at most HANDWRITING_MAX_REFERENCES - 1 = 9): exact, and one byte per point in JSON.
import type { FeatureSeq } from "./features";

/** Half-width of the Sakoe-Chiba band, exactly as features.ts `dtw` computes it (the two must visit the same cells). */
const bandWidth = (n: number, m: number, band: number) => Math.max(Math.ceil(band * Math.max(n, m)), Math.abs(n - m) + 1);

/**
 * DTW between `a` and `b` (same band and L1 cost as features.ts `dtw`), traced back to its warping path, and
 * returns which points of each are matched one-to-one: `a[i]` is 1 when point i of a is on a diagonal step of
 * the path into a point of b that no other point of a maps to (and the path visits i once).
 */
export function directMatches(a: FeatureSeq, b: FeatureSeq, band: number): { a: Uint8Array; b: Uint8Array } {
  const n = a.length;
  const m = b.length;
  const dims = a.dims;
  const w = bandWidth(n, m, band);
  // Backtracking needs each cell's step: one byte per banded cell (0 diagonal, 1 from above, 2 from the left).
  const lo = new Int32Array(n + 1);
  const off = new Int32Array(n + 2);
  for (let i = 1; i <= n; i++) {
    const centre = Math.round((i * m) / n);
    lo[i] = Math.max(1, centre - w);
    off[i + 1] = off[i]! + Math.max(0, Math.min(m, centre + w) - lo[i]! + 1);
  }
  const step = new Uint8Array(off[n + 1]!);
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  const A = a.data;
  const B = b.data;
  for (let i = 1; i <= n; i++) {
    cur.fill(Infinity);
    const l = lo[i]!;
    const h = l + (off[i + 1]! - off[i]!) - 1;
    const ai = (i - 1) * dims;
    for (let j = l; j <= h; j++) {
      const bj = (j - 1) * dims;
      let d = 0;
      for (let k = 0; k < dims; k++) d += Math.abs(A[ai + k]! - B[bj + k]!);
      const dg = prev[j - 1]!;
      const up = prev[j]!;
      const left = cur[j - 1]!;
      // Ties go to the diagonal: a plain DTW of equal cost then reads as the more direct match.
      let s = 0;
      let best = dg;
      if (up < best) (best = up), (s = 1);
      if (left < best) (best = left), (s = 2);
      cur[j] = d + best;
      step[off[i]! + j - l] = s;
    }
    [prev, cur] = [cur, prev];
  }
  // Walk back from (n, m) recording the path and how often each point occurs on it.
  const pathI: number[] = [];
  const pathJ: number[] = [];
  const diag: number[] = [];
  const timesA = new Uint16Array(n + 1);
  const timesB = new Uint16Array(m + 1);
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const s = step[off[i]! + j - lo[i]!]!;
    pathI.push(i);
    pathJ.push(j);
    diag.push(s === 0 ? 1 : 0);
    timesA[i] = timesA[i]! + 1;
    timesB[j] = timesB[j]! + 1;
    if (s === 0) (i--, j--);
    else if (s === 1) i--;
    else j--;
  }
  const outA = new Uint8Array(n);
  const outB = new Uint8Array(m);
  for (let k = 0; k < pathI.length; k++) {
    const pi = pathI[k]!;
    const pj = pathJ[k]!;
    if (diag[k] && timesA[pi] === 1 && timesB[pj] === 1) {
      outA[pi - 1] = 1;
      outB[pj - 1] = 1;
    }
  }
  return { a: outA, b: outB };
}

/** Per-point weights of a reference from its direct-match counts out of `others` references: (1 - sw) + sw *
 * stability / mean stability, so the weights average 1 (plain DTW's scale). All points unstable: plain DTW.
 * `smooth` > 0 first averages the counts over +-smooth points: one point's match flips with a one-sample detour
 * of the warping path, while a stable *region* (a practised stroke) is what the writer reproduces. */
export function stabilityWeights(counts: ArrayLike<number>, others: number, stabilityWeight: number, smooth = 0): Float64Array {
  const n = counts.length;
  const out = new Float64Array(n).fill(1);
  if (stabilityWeight === 0 || others <= 0) return out;
  let c: ArrayLike<number> = counts;
  if (smooth > 0) {
    const prefix = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + counts[i]!;
    const sm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const lo = Math.max(0, i - smooth);
      const hi = Math.min(n, i + smooth + 1);
      sm[i] = (prefix[hi]! - prefix[lo]!) / (hi - lo);
    }
    c = sm;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += c[i]!;
  if (sum === 0) return out;
  const meanCount = sum / n;
  for (let i = 0; i < n; i++) out[i] = 1 - stabilityWeight + (stabilityWeight * c[i]!) / meanCount;
  return out;
}

/** features.ts `dtw` with the local cost at reference point j (a point of `ref`) multiplied by `weights[j]`. */
export function weightedDtw(probe: FeatureSeq, ref: FeatureSeq, weights: Float64Array, band: number): number {
  const n = probe.length;
  const m = ref.length;
  const dims = probe.dims;
  const w = bandWidth(n, m, band);
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  const A = probe.data;
  const B = ref.data;
  for (let i = 1; i <= n; i++) {
    cur.fill(Infinity);
    const centre = Math.round((i * m) / n);
    const lo = Math.max(1, centre - w);
    const hi = Math.min(m, centre + w);
    const ai = (i - 1) * dims;
    for (let j = lo; j <= hi; j++) {
      const bj = (j - 1) * dims;
      let d = 0;
      for (let k = 0; k < dims; k++) d += Math.abs(A[ai + k]! - B[bj + k]!);
      cur[j] = d * weights[j - 1]! + Math.min(prev[j - 1]!, prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m]! / (n + m);
}

/** What enrolment keeps and measures: each reference's direct-match counts (the stored form: one digit per
 * point) and the reference-to-reference distance matrix for the writer's statistics. */
export interface StabilityEnrolment {
  counts: string[];
  /** D[i][j]: reference i compared, as a probe would be, with reference j weighted by its stability measured
   * without i. Leaving i out matters: i's own alignment would otherwise make j look stable exactly where it agrees
   * with i, and the writer's statistics would come out smaller than what a new genuine signature sees. */
  D: number[][];
}

export function stabilityEnrolment(seqs: FeatureSeq[], band: number, stabilityWeight: number, smooth = 0): StabilityEnrolment {
  const k = seqs.length;
  // match[i][j]: which points of reference i are matched directly to reference j (symmetric pairs, one DTW each).
  const match: Uint8Array[][] = seqs.map(() => new Array<Uint8Array>(k));
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) {
      const r = directMatches(seqs[i]!, seqs[j]!, band);
      match[i]![j] = r.a;
      match[j]![i] = r.b;
    }
  const total = seqs.map((s, i) => {
    const c = new Uint8Array(s.length);
    for (let j = 0; j < k; j++) if (j !== i) for (let p = 0; p < s.length; p++) c[p] = c[p]! + match[i]![j]![p]!;
    return c;
  });
  const D = seqs.map((a, i) =>
    seqs.map((b, j) => {
      if (i === j) return 0;
      const loo = total[j]!.map((c, p) => c - match[j]![i]![p]!);
      return weightedDtw(a, b, stabilityWeights(loo, k - 2, stabilityWeight, smooth), band);
    }),
  );
  return { counts: total.map((c) => Array.from(c, (v) => String(v)).join("")), D };
}

/** A stored count string back to numbers (validated by isHandwritingModel: digits only, one per point). */
export const countsOf = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0) - 48);
