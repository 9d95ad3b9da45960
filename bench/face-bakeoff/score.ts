// Minimal scorer of an embedding cache with the rule shared with bench/face-calibration (branch face-cal):
// identities sorted by name with the default JS sort; even index -> calibration half, odd -> report half.
// All within-identity pairs are genuine, all cross-identity pairs (inside one half) impostor; cosine of the
// L2-normalised embeddings. Thresholds are chosen on the calibration half at each target FMR (the lowest
// threshold whose calibration FMR is at most the target), then FNMR and FMR are measured on the report half.
// Photos without a usable face are left out (failure to acquire; counted separately).
//   npx tsx bench/face-bakeoff/score.ts /tmp/face-embeddings/<name>.json [--calibration-only]
import { readFileSync } from "node:fs";
import { wilson } from "../metrics";
import { labels } from "../node-face";

type Item = { file: string; identity: string; embedding: number[] | null };
export type Cache = { model: string; dim: number; items: Item[] };


function scores(items: Item[]) {
  const withFace = items.filter((i) => i.embedding);
  const genuine: number[] = [];
  const impostor: number[] = [];
  const vecs = withFace.map((i) => Float32Array.from(i.embedding!));
  for (let a = 0; a < withFace.length; a++) {
    const va = vecs[a]!;
    for (let b = a + 1; b < withFace.length; b++) {
      const vb = vecs[b]!;
      let d = 0;
      for (let k = 0; k < va.length; k++) d += va[k]! * vb[k]!;
      (withFace[a]!.identity === withFace[b]!.identity ? genuine : impostor).push(d);
    }
  }
  return { genuine, impostor: Float64Array.from(impostor).sort(), missing: items.length - withFace.length };
}

/** Lowest threshold t (accept when score >= t) with FMR <= target on the sorted impostor scores. */
function thresholdAt(sortedImpostor: Float64Array, target: number): number {
  const allowed = Math.floor(target * sortedImpostor.length); // impostor scores allowed at or above t
  const i = sortedImpostor.length - allowed; // first index allowed to pass
  // Just above the highest impostor that must be rejected.
  return i <= 0 ? -Infinity : sortedImpostor[i - 1]! + 1e-9;
}

/** The LFW rows of the cache (role `calibration` in labels.csv; a cache may hold other photos too), split in halves. */
export function halves(cache: Cache) {
  const lfw = new Set(labels().filter((l) => l.role === "calibration").map((l) => l.file));
  const items = cache.items.filter((i) => lfw.has(i.file));
  const ids = [...new Set(items.map((i) => i.identity))].sort();
  const cal = new Set(ids.filter((_, i) => i % 2 === 0));
  return {
    calibration: items.filter((i) => cal.has(i.identity)),
    report: items.filter((i) => !cal.has(i.identity)),
  };
}

export type OperatingPoint = { targetFmr: number; threshold: number; fnmr: number; fnmrCi: [number, number]; fmr: number; fmrCi: [number, number]; genuine: number; impostor: number; falseMatches: number; falseNonMatches: number };

export function score(cache: Cache, targets = [1e-3, 1e-4], calibrationOnly = false) {
  // calibrationOnly: the cache holds calibration-half photos only (crop tuning); thresholds and rates on all of them.
  const h = calibrationOnly ? { calibration: cache.items, report: [] } : halves(cache);
  const cal = scores(h.calibration);
  const rep = calibrationOnly ? cal : scores(h.report);
  const points: OperatingPoint[] = targets.map((target) => {
    const threshold = thresholdAt(cal.impostor, target);
    const fnm = rep.genuine.filter((s) => s < threshold).length;
    let fm = 0;
    for (let i = rep.impostor.length - 1; i >= 0 && rep.impostor[i]! >= threshold; i--) fm++;
    return {
      targetFmr: target,
      threshold,
      fnmr: fnm / rep.genuine.length,
      fnmrCi: wilson(fnm, rep.genuine.length),
      fmr: fm / rep.impostor.length,
      fmrCi: wilson(fm, rep.impostor.length),
      genuine: rep.genuine.length,
      impostor: rep.impostor.length,
      falseMatches: fm,
      falseNonMatches: fnm,
    };
  });
  return { model: cache.model, points, missing: { calibration: cal.missing, report: rep.missing }, photos: { calibration: h.calibration.length, report: h.report.length } };
}

const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
export function describe(r: ReturnType<typeof score>): string {
  return [
    `${r.model}: photos ${r.photos.calibration} calibration / ${r.photos.report} report, no usable face ${r.missing.calibration} / ${r.missing.report}`,
    ...r.points.map((p) => `  FMR target ${p.targetFmr}: threshold ${p.threshold.toFixed(4)} -> FNMR ${pct(p.fnmr)} [${pct(p.fnmrCi[0])}, ${pct(p.fnmrCi[1])}] (${p.falseNonMatches}/${p.genuine}), FMR ${(p.fmr * 1e4).toFixed(2)}e-4 [${(p.fmrCi[0] * 1e4).toFixed(2)}, ${(p.fmrCi[1] * 1e4).toFixed(2)}]e-4 (${p.falseMatches}/${p.impostor})`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cache = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Cache;
  console.log(describe(score(cache, [1e-3, 1e-4], process.argv.includes("--calibration-only"))));
}
