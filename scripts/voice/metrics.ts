// Verification error rates from score lists (higher score = more likely the same speaker).

export interface EerResult {
  eer: number;
  threshold: number;
}

/** Equal error rate by sweeping every distinct score as threshold (accept when score >= threshold). */
export function computeEer(genuine: number[], impostor: number[]): EerResult {
  const all = [...genuine.map((s) => ({ s, g: 1 })), ...impostor.map((s) => ({ s, g: 0 }))].sort((a, b) => a.s - b.s);
  // Walking upward: everything below the threshold is rejected.
  let fnm = 0; // genuine rejected
  let fm = impostor.length; // impostors accepted
  let best = { eer: 1, threshold: 0, gap: Infinity };
  for (let i = 0; i <= all.length; i++) {
    const fnmr = fnm / genuine.length;
    const fmr = fm / impostor.length;
    const gap = Math.abs(fnmr - fmr);
    if (gap < best.gap) {
      const thr = i < all.length ? all[i]!.s : all[all.length - 1]!.s + 1e-6;
      const prev = i > 0 ? all[i - 1]!.s : thr - 1e-6;
      best = { eer: (fnmr + fmr) / 2, threshold: (thr + prev) / 2, gap };
    }
    if (i < all.length) {
      if (all[i]!.g) fnm++;
      else fm--;
    }
  }
  return { eer: best.eer, threshold: best.threshold };
}

export function ratesAt(genuine: number[], impostor: number[], threshold: number): { fmr: number; fnmr: number } {
  return {
    fmr: impostor.filter((s) => s >= threshold).length / impostor.length,
    fnmr: genuine.filter((s) => s < threshold).length / genuine.length,
  };
}

/** Threshold giving at most `fmr` false matches among the impostor scores. */
export function thresholdAtFmr(impostor: number[], fmr: number): number {
  const sorted = [...impostor].sort((a, b) => b - a);
  const k = Math.floor(fmr * sorted.length);
  return (sorted[k] ?? -1) + 1e-6;
}
