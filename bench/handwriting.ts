// Handwriting (online signature) benchmark on the MCYT-derived set in ../shared/data/handwriting (read in place).
// Protocol: writers 001-020 enrol with their 5 enrolment signatures; genuine = their verification files marked g
// in gt.txt, skilled forgeries = those marked f, random forgeries = the 5 enrolment signatures of each of writers
// 031-100. Hyperparameters are chosen on writers 001-010 only (`--sweep`); the global threshold is the
// skilled-forgery EER point of writers 001-010's pooled normalised distances, then applied unchanged to 011-020.
//
//   npx tsx bench/handwriting.ts                  # report with DEFAULT_HANDWRITING_PARAMS
//   npx tsx bench/handwriting.ts --sweep          # hyperparameter search on writers 001-010
//   npx tsx bench/handwriting.ts --strip-hover    # drop pen-up points first (what a browser reports)
import { readFileSync } from "node:fs";
import {
  DEFAULT_HANDWRITING_PARAMS,
  enrollHandwriting,
  parseTrajectory,
  verifyHandwriting,
  type HandwritingParams,
  type PenTrajectory,
} from "../src/biometrics/handwriting";
import { dtw, featureSeq, resample, type FeatureName, type FeatureSeq } from "../src/biometrics/handwriting/features";
import { normalisedDistance, referenceStats } from "../src/biometrics/handwriting/model";
import { avg, eer, fix, fmtTime, pct, quantiles, ratesAt, timeIt } from "./metrics";

const ROOT = new URL("../../shared/data/handwriting/mcyt-online/", import.meta.url);
const id = (n: number) => String(n).padStart(3, "0");
const stripHover = process.argv.includes("--strip-hover");
const load = (rel: string): PenTrajectory => {
  const t = parseTrajectory(readFileSync(new URL(rel, ROOT), "utf8"), { field: "bench" });
  if (!stripHover) return t;
  const keep = t.pressure.map((p) => p > 0);
  const f = (a: number[]) => a.filter((_, i) => keep[i]);
  return { t: f(t.t), x: f(t.x), y: f(t.y), pressure: f(t.pressure), hasPressure: true };
};
const WRITERS = Array.from({ length: 20 }, (_, i) => i + 1);
const RANDOM = Array.from({ length: 70 }, (_, i) => i + 31);
const enrol = new Map<number, PenTrajectory[]>();
for (const w of [...WRITERS, ...RANDOM]) enrol.set(w, [1, 2, 3, 4, 5].map((k) => load(`enrollment/${id(w)}-g-0${k}.txt`)));
const gt = readFileSync(new URL("gt.txt", ROOT), "utf8").trim().split(/\r?\n/).map((l) => l.trim().split(/\s+/) as [string, string]);
const verif = new Map<number, { genuine: PenTrajectory[]; skilled: PenTrajectory[] }>(WRITERS.map((w) => [w, { genuine: [], skilled: [] }]));
for (const [name, label] of gt) {
  const v = verif.get(Number(name.slice(0, 3)));
  if (v) (label === "g" ? v.genuine : v.skilled).push(load(`verification/${name}.txt`));
}

/** All DTW distances of one feature configuration (the expensive part; the normalisation is cheap). */
interface Raw {
  writer: number;
  D: number[][];
  genuine: number[][];
  skilled: number[][];
  random: number[][];
}

function distances(writers: number[], step: number, features: FeatureName[], band: number): Raw[] {
  const cache = new Map<PenTrajectory, FeatureSeq>();
  const seq = (t: PenTrajectory) => {
    let s = cache.get(t);
    if (!s) cache.set(t, (s = featureSeq(resample(t, step), features)));
    return s;
  };
  return writers.map((w) => {
    const refs = enrol.get(w)!.map(seq);
    const probe = (t: PenTrajectory) => refs.map((r) => dtw(seq(t), r, band));
    const v = verif.get(w)!;
    return {
      writer: w,
      D: refs.map((a) => refs.map((b) => (a === b ? 0 : dtw(a, b, band)))),
      genuine: v.genuine.map(probe),
      skilled: v.skilled.map(probe),
      random: RANDOM.flatMap((r) => enrol.get(r)!.map(probe)),
    };
  });
}

function evaluate(raws: Raw[], p: HandwritingParams) {
  return raws.map((r) => {
    const stats = referenceStats(r.D);
    const n = (d: number[]) => normalisedDistance(d, stats, p);
    return { writer: r.writer, genuine: r.genuine.map(n), skilled: r.skilled.map(n), random: r.random.map(n) };
  });
}
type Scored = ReturnType<typeof evaluate>;

function summary(s: Scored) {
  const pooledG = s.flatMap((x) => x.genuine);
  return {
    skilledPerWriter: avg(s.map((x) => eer(x.genuine, x.skilled).eer)),
    randomPerWriter: avg(s.map((x) => eer(x.genuine, x.random).eer)),
    skilledGlobal: eer(pooledG, s.flatMap((x) => x.skilled)),
    randomGlobal: eer(pooledG, s.flatMap((x) => x.random)),
  };
}

const TUNE = WRITERS.filter((w) => w <= 10);

if (process.argv.includes("--sweep")) {
  console.log("hyperparameter search, writers 001-010 only: skilled EER per-writer / global, random EER per-writer / global");
  const featureSets: FeatureName[][] = [
    ["x", "y", "vx", "vy", "p"],
    ["x", "y", "vx", "vy", "p", "cos", "sin"],
    ["x", "y", "vx", "vy", "p", "ax", "ay"],
    ["vx", "vy", "p", "cos", "sin"],
  ];
  for (const features of featureSets) {
    for (const band of [0.1, 0.2]) {
      const raws = distances(TUNE, 20, features, band);
      for (const wMin of [0, 0.5, 1]) {
        for (const prior of [0, 0.2, 0.4, 0.6, 0.8, 1.2]) {
          const s = summary(evaluate(raws, { ...DEFAULT_HANDWRITING_PARAMS, features, band, wMin, prior }));
          console.log(
            `${features.join(",").padEnd(26)} band ${band} wMin ${wMin} prior ${prior}: ` +
              `${pct(s.skilledPerWriter)} / ${pct(s.skilledGlobal.eer)}   ${pct(s.randomPerWriter)} / ${pct(s.randomGlobal.eer)}`,
          );
        }
      }
    }
  }
  process.exit(0);
}

const p = DEFAULT_HANDWRITING_PARAMS;
let raws: Raw[] = [];
const allT = timeIt(() => (raws = distances(WRITERS, p.stepMs, p.features, p.band)), 1);
const comparisons = raws.reduce((a, r) => a + 20 + 5 * (r.genuine.length + r.skilled.length + r.random.length), 0);
const scored = evaluate(raws, p);
const tune = scored.filter((s) => s.writer <= 10);
const held = scored.filter((s) => s.writer > 10);
const threshold = summary(tune).skilledGlobal.threshold;
console.log(`params: ${JSON.stringify(p)}${stripHover ? " (pen-up points stripped)" : ""}`);
for (const [label, set] of [["001-010 (tuning)", tune], ["011-020 (held out)", held], ["001-020 (all)", scored]] as const) {
  const s = summary(set);
  console.log(`\nwriters ${label}`);
  console.log(`  skilled forgeries: EER per-writer threshold ${pct(s.skilledPerWriter)}, one global threshold ${pct(s.skilledGlobal.eer)} (at ${fix(s.skilledGlobal.threshold, 3)})`);
  console.log(`  random forgeries:  EER per-writer threshold ${pct(s.randomPerWriter)}, one global threshold ${pct(s.randomGlobal.eer)} (at ${fix(s.randomGlobal.threshold, 3)})`);
  const g = set.flatMap((x) => x.genuine);
  for (const th of [...new Set([threshold, p.threshold])]) {
    const sk = ratesAt(g, set.flatMap((x) => x.skilled), th);
    const rn = ratesAt(g, set.flatMap((x) => x.random), th);
    console.log(`  at threshold ${fix(th, 3)}: FNMR ${pct(sk.fnmr)}, FMR skilled ${pct(sk.fmr)}, FMR random ${pct(rn.fmr, 3)}`);
  }
  const q = quantiles(set.map((x) => eer(x.genuine, x.skilled).eer));
  console.log(`  per-writer skilled EER: min ${pct(q.min)} median ${pct(q.median)} p75 ${pct(q.p75)} max ${pct(q.max)}`);
}
console.log(`\nthreshold at writers 001-010's skilled EER point: ${fix(threshold, 3)}; shipped DEFAULT_HANDWRITING_PARAMS.threshold = ${p.threshold}`);
console.log(`${comparisons} DTW comparisons, ${fmtTime({ wallMs: allT.wallMs / comparisons, cpuMs: allT.cpuMs / comparisons }, 3)} each on average (features included)`);

// End-to-end latency through the public interface.
{
  const models = new Map(WRITERS.map((w) => [w, enrollHandwriting(enrol.get(w)!)]));
  const enrolT = timeIt((i) => enrollHandwriting(enrol.get(WRITERS[i % 20]!)!), 20);
  const probes = WRITERS.flatMap((w) => verif.get(w)!.genuine.slice(0, 2).map((s) => [w, s] as const));
  const verifyT = timeIt((i) => verifyHandwriting(models.get(probes[i]![0])!, probes[i]![1]), probes.length);
  const text = readFileSync(new URL("enrollment/001-g-01.txt", ROOT), "utf8");
  const parseT = timeIt(() => parseTrajectory(text), 50);
  const sizes = [...models.values()].map((m) => JSON.stringify(m).length);
  const lengths = WRITERS.flatMap((w) => enrol.get(w)!.map((s) => s.t.length));
  console.log(`latency: parse one 103-point file ${fmtTime(parseT)}; enrol 5 signatures (mean over writers 001-020) ${fmtTime(enrolT, 1)}; verify (mean over 40 genuine probes) ${fmtTime(verifyT, 1)}`);
  console.log(`signature length: mean ${avg(lengths).toFixed(0)} points (max ${Math.max(...lengths)}) at 100 Hz`);
  console.log(`model size (JSON, 5 references): mean ${(avg(sizes) / 1024).toFixed(1)} KiB, max ${(Math.max(...sizes) / 1024).toFixed(1)} KiB`);
}
