// Rates with confidence intervals and threshold rules for the security-level benchmarks (bench/voice-levels.ts,
// bench/fusion.ts); their DET pictures come from bench/det-svg.ts. Scores are similarities: accept when score >=
// threshold.
import type { MeasuredRate } from "../src/biometrics/security-level";
import { probit } from "./det-svg";
import { wilson } from "./metrics";

export { probit };

/** Wilson score interval (95 %). With 0 errors in N trials its upper bound is about 3.84 / N. */

export function measured(errors: number, trials: number): MeasuredRate {
  const r = (x: number) => Number(x.toFixed(5));
  const [lo, hi] = wilson(errors, trials);
  return { rate: r(trials ? errors / trials : 0), ci95: [r(lo), r(hi)], errors, trials };
}

export const fmrAt = (impostor: number[], t: number) => impostor.filter((s) => s >= t).length;
export const fnmrAt = (genuine: number[], t: number) => genuine.filter((s) => s < t).length;

/** Lowest threshold accepting at most `fmr` of the impostor scores (ties resolved toward rejecting). */
export function thresholdForFmr(impostor: number[], fmr: number): number {
  const s = [...impostor].sort((a, b) => b - a);
  const k = Math.floor(fmr * s.length);
  return k < s.length ? s[k]! + 1e-9 : -Infinity;
}

export const fmtRate = (m: MeasuredRate) =>
  `${(100 * m.rate).toFixed(2)} % [${(100 * m.ci95[0]).toFixed(2)}, ${(100 * m.ci95[1]).toFixed(2)}] (${m.errors}/${m.trials})`;
