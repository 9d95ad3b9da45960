// Error-rate helpers shared by the biometric benchmarks. Scores here are distances: lower = more genuine.

/** Equal error rate: the threshold where false non-match and false match rates cross (their mean there). */
export function eer(genuine: number[], impostor: number[]): { eer: number; threshold: number } {
  const all = [...genuine.map((v) => [v, 1] as const), ...impostor.map((v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  let acceptG = 0;
  let acceptI = 0;
  // Start from a threshold below every score: everything rejected (FNMR 1, FMR 0).
  let best = { gap: 1, eer: 0.5, threshold: -Infinity };
  for (let i = 0; i < all.length; i++) {
    if (all[i]![1]) acceptG++;
    else acceptI++;
    if (i + 1 < all.length && all[i + 1]![0] === all[i]![0]) continue;
    const fnmr = 1 - acceptG / genuine.length;
    const fmr = acceptI / impostor.length;
    const gap = Math.abs(fnmr - fmr);
    if (gap < best.gap) best = { gap, eer: (fnmr + fmr) / 2, threshold: all[i]![0] };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** Rates at a fixed threshold (accept when distance <= threshold). */
export function ratesAt(genuine: number[], impostor: number[], threshold: number) {
  return {
    fnmr: genuine.filter((v) => v > threshold).length / genuine.length,
    fmr: impostor.filter((v) => v <= threshold).length / impostor.length,
  };
}

export const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

export function quantiles(a: number[]) {
  const s = [...a].sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
  return { min: s[0]!, p25: q(0.25), median: q(0.5), p75: q(0.75), max: s[s.length - 1]! };
}

export const pct = (v: number, digits = 2) => `${(100 * v).toFixed(digits)} %`;
export const fix = (v: number, digits = 4) => v.toFixed(digits);

/** Mean wall-clock and CPU time of `fn` over `n` runs. The machine is shared: CPU time is the fairer figure
 * (a Worker is billed and limited on CPU time), wall time shows what the load did to it. */
export function timeIt(fn: (i: number) => unknown, n: number): { wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const wallMs = (performance.now() - t0) / n;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

export const fmtTime = (t: { wallMs: number; cpuMs: number }, digits = 2) =>
  `${t.cpuMs.toFixed(digits)} ms CPU (${t.wallMs.toFixed(digits)} ms wall)`;

/** Wilson score interval (95 %) of `errors` out of `trials`: sound near 0 % where the normal approximation is
 * not (with 0 errors its upper bound is about 3.8 / trials, a little above the "rule of three"). */
export function wilson(errors: number, trials: number, z = 1.959964): [number, number] {
  if (trials === 0) return [0, 1];
  const p = errors / trials;
  const d = 1 + (z * z) / trials;
  const c = (p + (z * z) / (2 * trials)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** A measured rate as security-level.ts stores it (rate, Wilson 95 % CI, counts), rounded for the source file. */
export function measuredRate(errors: number, trials: number) {
  const r = (v: number) => Math.round(v * 1e5) / 1e5;
  const [lo, hi] = wilson(errors, trials);
  return { rate: r(errors / trials), ci95: [r(lo), r(hi)] as [number, number], errors, trials };
}

/** "4.40 % [2.9, 6.6] (22/500)": a rate with its 95 % interval and counts. */
export const fmtRate = (errors: number, trials: number, digits = 2) => {
  const [lo, hi] = wilson(errors, trials);
  return `${pct(errors / trials, digits)} [${(100 * lo).toFixed(digits)}, ${(100 * hi).toFixed(digits)}] (${errors}/${trials})`;
};

/** Errors at a fixed threshold (accept when distance <= threshold), as counts. */
export function errorsAt(genuine: number[], impostor: number[], threshold: number) {
  return {
    falseNonMatches: genuine.filter((v) => v > threshold).length,
    falseMatches: impostor.filter((v) => v <= threshold).length,
  };
}

/** The largest threshold whose false-match rate on `impostor` is at most `fmr` (accept when distance <= it). */
export function thresholdAtFmr(impostor: number[], fmr: number): number {
  const s = [...impostor].sort((a, b) => a - b);
  const allowed = Math.floor(fmr * s.length + 1e-9);
  // Accepting `allowed` impostors: any threshold in [s[allowed-1], s[allowed]) works; take the midpoint.
  if (allowed >= s.length) return s[s.length - 1]!;
  if (allowed === 0) return s[0]! - 1e-9;
  return (s[allowed - 1]! + s[allowed]!) / 2;
}
