// Handwriting engine variants tried for issue 16 part 4, not shipped: (1) each descriptor's deviation clipped at a
// few spreads before averaging (as the keystroke distance clips each feature); (2) the DTW part as the mean distance
// to the k nearest references over the same for each reference against the others (what helped keystroke), k = 1-4
// (5 = all = the engine), one row per k and a nested row choosing k on the calibration writers too.
// Same protocol as bench/handwriting-levels.ts: five folds by writer; on the 16 calibration writers the grid point
// (bench/handwriting-raw.ts, pooled skilled EER) and the thresholds (`high`: skilled FMR <= 2 %; `standard`: the
// skilled EER point) are chosen; errors counted on the 4 held-out writers, pooled.
//
//   npx tsx bench/handwriting-variants.ts    # ~1 min with the /tmp DTW cache of bench/handwriting-levels.ts
import type { HandwritingParams } from "../src/biometrics/handwriting";
import { descriptorStats } from "../src/biometrics/handwriting/descriptors";
import { fusedDistance, normalisedDistance, referenceStats } from "../src/biometrics/handwriting/model";
import { cachedRaw, GRID, P0, type Probe, type Raw, type Scored } from "./handwriting-raw";
import { avg, eer, errorsAt, fmtRate, pct, thresholdAtFmr } from "./metrics";

const FOLDS = 5;
const raws = cachedRaw(P0);

const nearestMean = (d: number[], k: number) => avg([...d].sort((a, b) => a - b).slice(0, k));

/** `nearest` (1-4): the DTW part from the k nearest references, and the grid without wMin (which k replaces). */
function variant(clip: number, nearest?: number) {
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
      const D = r.D[`${p.stabilityWeight}/${p.stabilitySmooth}`]!;
      const st = referenceStats(D);
      const ds = statsOf(r, p.descriptorShrink);
      // A reference has one neighbour fewer than a probe (itself left out): with k = 5 of 5 this is the engine.
      const k = nearest ?? 0;
      const own = avg(D.map((row, i) => nearestMean(row.filter((_, j) => j !== i), Math.min(k, D.length - 1))));
      const dists = (x: Probe) => x.dists[`${p.stabilityWeight}/${p.stabilitySmooth}`]!;
      const dtw = (x: Probe) => (nearest ? nearestMean(dists(x), k) / (own + p.prior) : normalisedDistance(dists(x), st, p));
      const n = (x: Probe) => fusedDistance(dtw(x), distance(ds, x.desc) / (ds.looMean + p.descriptorPrior), p);
      return { writer: r.writer, genuine: r.genuine.map(n), skilled: r.skilled.map(n), random: r.random.map(n) };
    });
  // The grid point with the lowest pooled skilled EER (ties: lower mean per-writer EER), as bench/handwriting-raw.ts.
  const choose = (rs: Raw[]) => {
    let best: { p: HandwritingParams; eer: number; perWriter: number; threshold: number } | null = null;
    for (const p of nearest ? GRID.filter((q) => q.wMin === 0) : GRID) {
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

type Variant = ReturnType<typeof variant>;
/** Five folds; `pick` gives the variant and grid point for the calibration writers (a fixed variant, or the best of
 * several by their pooled skilled EER). */
function crossValidate(pick: (calib: Raw[]) => { v: Variant; c: ReturnType<Variant["choose"]> }) {
  const n = { high: { fnm: 0, fm: 0 }, standard: { fnm: 0, fm: 0 } };
  const det = { genuine: [] as number[], skilled: [] as number[] };
  for (let f = 0; f < FOLDS; f++) {
    const calib = raws.filter((r) => (r.writer - 1) % FOLDS !== f);
    const held = raws.filter((r) => (r.writer - 1) % FOLDS === f);
    const { v, c } = pick(calib);
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
  return (
    `${fmtRate(n.high.fnm, G)} | ${fmtRate(n.high.fm, S)} | ` +
    `${fmtRate(n.standard.fnm, G)} | ${fmtRate(n.standard.fm, S)} | ${pct(eer(det.genuine, det.skilled).eer)} |`
  );
}
const fixed = (v: Variant) => (calib: Raw[]) => ({ v, c: v.choose(calib) });

console.log("handwriting variants, MCYT writers 001-020, 5-fold CV by writer (held out, pooled)");
console.log("| variant | high FNMR | high FMR skilled | standard FNMR | standard FMR skilled | held-out skilled EER |");
console.log("|---|---|---|---|---|---|");
console.log(`| shipped engine | ${crossValidate(fixed(variant(Infinity)))}`);
for (const clip of [2, 3, 5]) console.log(`| descriptors clipped at ${clip} | ${crossValidate(fixed(variant(clip)))}`);
const byK = [1, 2, 3, 4, 5].map((k) => ({ k, v: variant(Infinity, k) }));
for (const { k, v } of byK.slice(0, 4)) console.log(`| DTW from the ${k} nearest references | ${crossValidate(fixed(v))}`);
const chosenK: number[] = [];
const nested = crossValidate((calib) => {
  const best = byK.map(({ k, v }) => ({ k, v, c: v.choose(calib) })).reduce((a, b) => (b.c.eer < a.c.eer - 1e-12 ? b : a));
  chosenK.push(best.k);
  return best;
});
console.log(`| nested: k (1-5) chosen per fold on the calibration writers | ${nested}`);
console.log(`k chosen per fold: ${chosenK.join(", ")}`);
