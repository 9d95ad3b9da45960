// A handwriting engine variant tried for issue 16 part 4, not shipped: each descriptor's deviation clipped at a few
// spreads before averaging (as the keystroke distance clips each feature), so one odd global value cannot dominate.
// Same protocol as bench/handwriting-levels.ts: five folds by writer; on the 16 calibration writers the grid point
// (bench/handwriting-raw.ts, pooled skilled EER) and the thresholds (`high`: skilled FMR <= 2 %; `standard`: the
// skilled EER point) are chosen; errors counted on the 4 held-out writers, pooled. No clip = the shipped engine.
//
//   npx tsx bench/handwriting-variants.ts    # ~1 min with the /tmp DTW cache of bench/handwriting-levels.ts
import type { HandwritingParams } from "../src/biometrics/handwriting";
import { descriptorStats } from "../src/biometrics/handwriting/descriptors";
import { fusedDistance, normalisedDistance, referenceStats } from "../src/biometrics/handwriting/model";
import { cachedRaw, GRID, P0, type Probe, type Raw, type Scored } from "./handwriting-raw";
import { avg, eer, errorsAt, fmtRate, pct, thresholdAtFmr } from "./metrics";

const FOLDS = 5;
const raws = cachedRaw(P0);

function variant(clip: number) {
  const distance = (st: { mean: number[]; spread: number[] }, x: number[]) =>
    avg(x.map((v, d) => Math.min(Math.abs(v - st.mean[d]!) / st.spread[d]!, clip)));
  // Per writer: the references' descriptor statistics and their leave-one-out mean distance, with this clip.
  const stats = new Map<string, { mean: number[]; spread: number[]; looMean: number }>();
  const statsOf = (r: Raw, shrink: number) => {
    const key = `${r.writer}/${shrink}`;
    if (!stats.has(key)) {
      const refs = r.refDescriptors;
      const loo = avg(refs.map((x, k) => distance(descriptorStats(refs.filter((_, j) => j !== k), shrink), x)));
      stats.set(key, { ...descriptorStats(refs, shrink), looMean: loo });
    }
    return stats.get(key)!;
  };
  const evaluate = (rs: Raw[], p: HandwritingParams): Scored =>
    rs.map((r) => {
      const st = referenceStats(r.D);
      const ds = statsOf(r, p.descriptorShrink);
      const n = (x: Probe) => fusedDistance(normalisedDistance(x.dists, st, p), distance(ds, x.desc) / (ds.looMean + p.descriptorPrior), p);
      return { writer: r.writer, genuine: r.genuine.map(n), skilled: r.skilled.map(n), random: r.random.map(n) };
    });
  // The grid point with the lowest pooled skilled EER (ties: lower mean per-writer EER), as bench/handwriting-raw.ts.
  const choose = (rs: Raw[]) => {
    let best: { p: HandwritingParams; eer: number; perWriter: number; threshold: number } | null = null;
    for (const p of GRID) {
      const s = evaluate(rs, p);
      const g = eer(s.flatMap((x) => x.genuine), s.flatMap((x) => x.skilled));
      const perWriter = avg(s.map((x) => eer(x.genuine, x.skilled).eer));
      if (!best || g.eer < best.eer - 1e-12 || (Math.abs(g.eer - best.eer) <= 1e-12 && perWriter < best.perWriter - 1e-12)) {
        best = { p, eer: g.eer, perWriter, threshold: g.threshold };
      }
    }
    return best!;
  };
  return { evaluate, choose };
}

console.log("handwriting: descriptor deviations clipped, MCYT writers 001-020, 5-fold CV by writer (held out, pooled)");
console.log("| clip | high FNMR | high FMR skilled | standard FNMR | standard FMR skilled | held-out skilled EER |");
console.log("|---|---|---|---|---|---|");
for (const clip of [Infinity, 2, 3, 5]) {
  const v = variant(clip);
  const n = { high: { fnm: 0, fm: 0 }, standard: { fnm: 0, fm: 0 } };
  const det = { genuine: [] as number[], skilled: [] as number[] };
  for (let f = 0; f < FOLDS; f++) {
    const calib = raws.filter((r) => (r.writer - 1) % FOLDS !== f);
    const held = raws.filter((r) => (r.writer - 1) % FOLDS === f);
    const c = v.choose(calib);
    const th = { high: thresholdAtFmr(v.evaluate(calib, c.p).flatMap((x) => x.skilled), 0.02), standard: c.threshold };
    const s = v.evaluate(held, c.p);
    const g = s.flatMap((x) => x.genuine);
    const sk = s.flatMap((x) => x.skilled);
    for (const level of ["high", "standard"] as const) {
      const e = errorsAt(g, sk, th[level]);
      n[level].fnm += e.falseNonMatches;
      n[level].fm += e.falseMatches;
    }
    det.genuine.push(...g.map((x) => x / th.standard));
    det.skilled.push(...sk.map((x) => x / th.standard));
  }
  const G = det.genuine.length;
  const S = det.skilled.length;
  console.log(
    `| ${clip === Infinity ? "none (shipped)" : clip} | ${fmtRate(n.high.fnm, G)} | ${fmtRate(n.high.fm, S)} | ` +
      `${fmtRate(n.standard.fnm, G)} | ${fmtRate(n.standard.fm, S)} | ${pct(eer(det.genuine, det.skilled).eer)} |`,
  );
}
