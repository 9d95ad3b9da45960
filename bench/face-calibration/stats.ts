// Rates, confidence intervals and thresholds over sorted score arrays (Float32Array: millions of impostor
// scores would be millions of boxed numbers in a plain array).
import { wilson } from "../metrics";

export { wilson };

/** Wilson score interval, 95 %. With 0 errors in n trials the upper bound is 3.84/(n+3.84), about 3/n or 4/n. */

/** First index whose value is >= t (sorted ascending). */
export function lowerBound(sorted: Float32Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type Rate = { rate: number; ci95: [number, number]; errors: number; trials: number };
const rate = (errors: number, trials: number): Rate => ({ rate: trials ? errors / trials : 0, ci95: wilson(errors, trials), errors, trials });

/** Impostor scores at or above t are false matches (the service accepts score >= threshold). */
export const fmrAt = (impostorSorted: Float32Array, t: number): Rate => rate(impostorSorted.length - lowerBound(impostorSorted, t), impostorSorted.length);
/** Genuine scores below t are false non-matches. */
export const fnmrAt = (genuineSorted: Float32Array, t: number): Rate => rate(lowerBound(genuineSorted, t), genuineSorted.length);

/**
 * The lowest threshold on a 0.001 grid at which at most `maxErrors` impostor scores are >= it.
 * (A grid keeps the thresholds readable; it moves a threshold up by less than 0.001.)
 */
export function thresholdForErrors(impostorSorted: Float32Array, maxErrors: number): number {
  const n = impostorSorted.length;
  if (maxErrors >= n) return -1;
  const v = impostorSorted[n - maxErrors - 1]!; // must be rejected: the threshold goes strictly above it
  let t = (Math.floor(v * 1000) + 1) / 1000;
  while (n - lowerBound(impostorSorted, t) > maxErrors) t = Math.round(t * 1000 + 1) / 1000;
  return t;
}

/** Threshold whose measured FMR is at most `target` (point estimate). */
export const thresholdAtFmr = (impostorSorted: Float32Array, target: number) => thresholdForErrors(impostorSorted, Math.floor(target * impostorSorted.length));

/** Threshold whose FMR's 95 % Wilson upper bound is at most `target` (a margin for sampling error). */
export function thresholdAtFmrUpperBound(impostorSorted: Float32Array, target: number): number {
  const n = impostorSorted.length;
  let k = Math.floor(target * n);
  while (k > 0 && wilson(k, n)[1] > target) k--;
  return thresholdForErrors(impostorSorted, k);
}

/** Equal error rate: the threshold (over the genuine scores) where FMR and FNMR cross. */
export function eer(genuineSorted: Float32Array, impostorSorted: Float32Array): { eer: number; threshold: number } {
  let best = { gap: Infinity, eer: 1, threshold: 0 };
  for (let i = 0; i < genuineSorted.length; i++) {
    const t = genuineSorted[i]!;
    const a = fmrAt(impostorSorted, t).rate;
    const b = i / genuineSorted.length;
    if (Math.abs(a - b) < best.gap) best = { gap: Math.abs(a - b), eer: (a + b) / 2, threshold: t };
  }
  return { eer: best.eer, threshold: best.threshold };
}

export function summary(v: Float32Array): { n: number; mean: number; sd: number; min: number; p01: number; p50: number; p99: number; max: number } {
  const n = v.length;
  let s = 0;
  for (const x of v) s += x;
  const mean = s / n;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  const at = (p: number) => v[Math.min(n - 1, Math.floor(p * n))]!; // v is sorted
  return { n, mean, sd: Math.sqrt(q / n), min: v[0]!, p01: at(0.01), p50: at(0.5), p99: at(0.99), max: v[n - 1]! };
}

/** Deterministic PRNG (mulberry32) so the bootstrap intervals are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pct = (x: number, digits = 3) => `${(x * 100).toFixed(digits)} %`;
export const fmtRate = (r: Rate, digits = 3) => `${pct(r.rate, digits)} (${r.errors}/${r.trials}; 95 % CI ${pct(r.ci95[0], digits)}-${pct(r.ci95[1], digits)})`;
