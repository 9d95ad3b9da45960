// The expensive part of the handwriting benchmarks, shared by bench/handwriting.ts and
// bench/handwriting-levels.ts: the MCYT signatures (read in place from ../shared/data, never copied) and, per
// writer 001-020, the raw DTW distances and descriptors exactly as enrollHandwriting / verifyHandwriting compute
// them. The DTW part takes minutes, so it can be cached in /tmp (never in the repository: it is derived from
// research-only data).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { DEFAULT_HANDWRITING_PARAMS, parseTrajectory, type HandwritingParams, type PenTrajectory } from "../src/biometrics/handwriting";
import { descriptorStats, signatureDescriptors, type DescriptorStats } from "../src/biometrics/handwriting/descriptors";
import { featureSeq, resample, type FeatureName, type FeatureSeq } from "../src/biometrics/handwriting/features";
import { compact, fusedDistance, normalisedDescriptorDistance, normalisedDistance, referenceStats } from "../src/biometrics/handwriting/model";
import { stabilityEnrolment, stabilityWeights, countsOf, weightedDtw } from "../src/biometrics/handwriting/stability";
import { avg, eer } from "./metrics";

export const ROOT = new URL("../../shared/data/handwriting/mcyt-online/", import.meta.url);
export const id = (n: number) => String(n).padStart(3, "0");
/** `--no-pressure`: what a browser or phone without a stylus reports: no pen-up (hovering) points and no pressure
 * (parseTrajectory's pressure 1, hasPressure false), the pen lifts left as time gaps. `--strip-hover`: only the
 * pen-up points dropped. */
export const noPressure = process.argv.includes("--no-pressure");
export const stripHover = noPressure || process.argv.includes("--strip-hover");
export const load = (rel: string): PenTrajectory => {
  const t = parseTrajectory(readFileSync(new URL(rel, ROOT), "utf8"), { field: "bench" });
  if (!stripHover) return t;
  const keep = t.pressure.map((p) => p > 0);
  const f = (a: number[]) => a.filter((_, i) => keep[i]);
  const pressure = f(t.pressure);
  return { t: f(t.t), x: f(t.x), y: f(t.y), pressure: noPressure ? pressure.map(() => 1) : pressure, hasPressure: !noPressure };
};
export const WRITERS = Array.from({ length: 20 }, (_, i) => i + 1);
export const RANDOM = Array.from({ length: 70 }, (_, i) => i + 31);
export const enrol = new Map<number, PenTrajectory[]>();
for (const w of [...WRITERS, ...RANDOM]) enrol.set(w, [1, 2, 3, 4, 5].map((k) => load(`enrollment/${id(w)}-g-0${k}.txt`)));

const gt = readFileSync(new URL("gt.txt", ROOT), "utf8").trim().split(/\r?\n/).map((l) => l.trim().split(/\s+/) as [string, string]);
export const verif = new Map<number, { genuine: PenTrajectory[]; skilled: PenTrajectory[] }>(WRITERS.map((w) => [w, { genuine: [], skilled: [] }]));
for (const [name, label] of gt) {
  const v = verif.get(Number(name.slice(0, 3)));
  if (v) (label === "g" ? v.genuine : v.skilled).push(load(`verification/${name}.txt`));
}

export const P0 = DEFAULT_HANDWRITING_PARAMS;

/**
 * The DTW feature sets tried for models enrolled without pressure (bench/handwriting-levels.ts --no-pressure chooses
 * one per fold on the calibration writers, by pooled skilled EER, the other parameters as shipped): the tablet's
 * set (whose `p` is then only the pen-lift signal), the same without it, and with the accelerations.
 * `--features a,b,c` fixes one instead.
 */
export const FEATURE_SETS_WITHOUT_PRESSURE: FeatureName[][] = [
  ["x", "y", "vx", "vy", "p"],
  ["x", "y", "vx", "vy"],
  ["x", "y", "vx", "vy", "ax", "ay"],
  ["x", "y", "ax", "ay"],
  ["x", "y", "vx", "vy", "p", "ax", "ay"],
];
const fixedFeatures = process.argv.indexOf("--features");
export const featureSetsWithoutPressure: FeatureName[][] =
  fixedFeatures >= 0 ? [process.argv[fixedFeatures + 1]!.split(",") as FeatureName[]] : FEATURE_SETS_WITHOUT_PRESSURE;

/** The stability modulations the raw distances are computed for (the grid's values of [stabilityWeight,
 * stabilitySmooth]; weight 0 = plain DTW, v2's). */
export const STABILITY_VARIANTS: [number, number][] = [[0, 0], [0.5, 0], [1, 0], [0.5, 5], [1, 5], [1, 10]];
export const STABILITY_WEIGHTS = STABILITY_VARIANTS.map(([w, s]) => `${w}/${s}`);
const sw = (p: { stabilityWeight: number; stabilitySmooth: number }) => `${p.stabilityWeight}/${p.stabilitySmooth}`;
/** What a probe contributes: its raw (stability-weighted) DTW distances to the references, per stabilityWeight,
 * and its descriptor vector. */
export interface Probe {
  dists: Record<string, number[]>;
  desc: number[];
}
/** Everything the normalisation needs for one writer (the expensive DTW part is done once). */
export interface Raw {
  writer: number;
  /** Reference-to-reference distances per stabilityWeight (as enrolment computes them). */
  D: Record<string, number[][]>;
  refDescriptors: number[][];
  genuine: Probe[];
  skilled: Probe[];
  random: Probe[];
}

/** The DTW distances and descriptors, exactly as enrollHandwriting / verifyHandwriting compute them, with the
 * first `k` enrolment signatures as references. */
export function computeRaw(writers: number[], p: HandwritingParams, k = 5): Raw[] {
  const cache = new Map<PenTrajectory, { seq: FeatureSeq; desc: number[] }>();
  const prep = (t: PenTrajectory, asReference: boolean) => {
    let s = cache.get(t);
    if (!s) {
      const r = resample(t, p.stepMs);
      const c = compact(r);
      // References are stored compacted; a probe is compared as resampled (its features are z-normalised anyway).
      s = { seq: featureSeq(asReference ? c : r, p.features), desc: signatureDescriptors(c, p.stepMs) };
      if (!asReference) cache.set(t, s);
    }
    return s;
  };
  return writers.map((w) => {
    const refs = enrol.get(w)!.slice(0, k).map((t) => prep(t, true));
    const seqs = refs.map((r) => r.seq);
    const en = STABILITY_VARIANTS.map(([b, sm]) => stabilityEnrolment(seqs, p.band, b, sm));
    const weights = STABILITY_VARIANTS.map(([b, sm], bi) => en[bi]!.counts.map((c) => stabilityWeights(countsOf(c), k - 1, b, sm)));
    const probe = (t: PenTrajectory): Probe => {
      const s = prep(t, false);
      const dists = Object.fromEntries(STABILITY_WEIGHTS.map((key, bi) => [key, seqs.map((r, j) => weightedDtw(s.seq, r, weights[bi]![j]!, p.band))]));
      return { dists, desc: s.desc };
    };
    const v = verif.get(w)!;
    return {
      writer: w,
      D: Object.fromEntries(STABILITY_WEIGHTS.map((key, bi) => [key, en[bi]!.D])),
      refDescriptors: refs.map((r) => r.desc),
      genuine: v.genuine.map(probe),
      skilled: v.skilled.map(probe),
      random: RANDOM.flatMap((r) => enrol.get(r)!.map(probe)),
    };
  });
}

/** Whether the last cachedRaw call read the cache (then its run time says nothing about DTW speed). */
export let rawFromCache = false;

/** computeRaw for every writer, read from /tmp when an earlier run with the same fixed settings left it there
 * (`--fresh` recomputes). */
export function cachedRaw(p: HandwritingParams, k = 5): Raw[] {
  const key = `v3-${p.stepMs}-${p.features.join("")}-${p.band}-sw${STABILITY_WEIGHTS.join("_").replaceAll("/", "s")}${k === 5 ? "" : `-k${k}`}${noPressure ? "-nopressure" : stripHover ? "-strip" : ""}`;
  const file = `/tmp/trustid-hw-raw-${key}.json`;
  rawFromCache = existsSync(file) && !process.argv.includes("--fresh");
  if (rawFromCache) return JSON.parse(readFileSync(file, "utf8")) as Raw[];
  const raws = computeRaw(WRITERS, p, k);
  writeFileSync(file, JSON.stringify(raws));
  return raws;
}

export type Scored = { writer: number; genuine: number[]; skilled: number[]; random: number[] }[];

export function evaluate(raws: Raw[], p: HandwritingParams): Scored {
  const descCache = new Map<string, DescriptorStats>();
  return raws.map((r) => {
    const stats = referenceStats(r.D[sw(p)]!);
    const key = `${r.writer}/${p.descriptorShrink}`;
    if (!descCache.has(key)) descCache.set(key, descriptorStats(r.refDescriptors, p.descriptorShrink));
    const ds = descCache.get(key)!;
    const n = (x: Probe) => fusedDistance(normalisedDistance(x.dists[sw(p)]!, stats, p), normalisedDescriptorDistance(x.desc, ds, p), p);
    return { writer: r.writer, genuine: r.genuine.map(n), skilled: r.skilled.map(n), random: r.random.map(n) };
  });
}

export function summary(s: Scored) {
  const pooledG = s.flatMap((x) => x.genuine);
  return {
    skilledPerWriter: avg(s.map((x) => eer(x.genuine, x.skilled).eer)),
    randomPerWriter: avg(s.map((x) => eer(x.genuine, x.random).eer)),
    skilledGlobal: eer(pooledG, s.flatMap((x) => x.skilled)),
    randomGlobal: eer(pooledG, s.flatMap((x) => x.random)),
  };
}

/** The grid searched (DTW features, step and band are fixed: earlier sweeps, BENCHMARKS.md). */
export const GRID: HandwritingParams[] = [];
for (const [stabilityWeight, stabilitySmooth] of STABILITY_VARIANTS)
  for (const wMin of [0, 0.5])
    for (const prior of [0.3, 0.6, 1])
      for (const descriptorPrior of [0.5, 1])
        for (const descriptorWeight of [0, 0.1, 0.2, 0.3]) GRID.push({ ...P0, stabilityWeight, stabilitySmooth, wMin, prior, descriptorPrior, descriptorWeight });

/** Best grid point on `raws` by pooled skilled-forgery EER with one threshold (ties: lower mean per-writer EER,
 * then earlier in the grid), and that EER's threshold. */
export function choose(raws: Raw[]) {
  let best: { p: HandwritingParams; eer: number; perWriter: number; threshold: number } | null = null;
  for (const p of GRID) {
    const s = summary(evaluate(raws, p));
    const better = !best || s.skilledGlobal.eer < best.eer - 1e-12 || (Math.abs(s.skilledGlobal.eer - best.eer) <= 1e-12 && s.skilledPerWriter < best.perWriter - 1e-12);
    if (better) best = { p, eer: s.skilledGlobal.eer, perWriter: s.skilledPerWriter, threshold: s.skilledGlobal.threshold };
  }
  return best!;
}
export const describe = (p: HandwritingParams) => `stabilityWeight ${p.stabilityWeight}, stabilitySmooth ${p.stabilitySmooth}, wMin ${p.wMin}, prior ${p.prior}, descriptorWeight ${p.descriptorWeight}, descriptorPrior ${p.descriptorPrior}`;
