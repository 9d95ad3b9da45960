// How the per-student normalisation of the keystroke distance was chosen (issue 16): pooled one-typing EER with one
// threshold for every student, for several ways of normalising the raw distance by the student's own
// leave-one-out training distances (mean m, spread sd). Subjects 1-20 / 21-40 / all 40 (MEU-Mobile).
//
// Measured on the median-distance engine of issue 16 part 2 (trustid-keystroke-robust-v2, commit a79972f); on the
// current engine the raw distance is the nearest-typings one, so the figures differ from BENCHMARKS.md.
//
//   npx tsx bench/keystroke-normalisation.ts     # ~10 s
import { readFileSync } from "node:fs";
import { parseKeystrokeDataset, scoreKeystroke, trainKeystrokeModel, type KeystrokeSample } from "../src/biometrics/keystroke";
import { avg, eer } from "./metrics";
const DATA = new URL("../../shared/data/keystroke/meu-mobile-ksd/data/", import.meta.url);
const SUBJECTS = Array.from({ length: 40 }, (_, i) => i + 1);
const data = new Map<number, KeystrokeSample[]>(SUBJECTS.map((s) => [s, parseKeystrokeDataset(readFileSync(new URL(`${s}.csv`, DATA), "utf8"), { field: "bench" })]));
const per = SUBJECTS.map((s) => {
  const m = trainKeystrokeModel(data.get(s)!.slice(0, 25));
  // The engine now returns raw / mean; undo it to compare the alternatives on the same raw distances.
  const raw = (r: KeystrokeSample) => scoreKeystroke(m, r).distance * m.norm.mean;
  const imp: number[] = [];
  for (const o of SUBJECTS) if (o !== s) imp.push(...data.get(o)!.map(raw));
  return { s, mean: m.norm.mean, sd: m.norm.sd, gen: data.get(s)!.slice(25).map(raw), imp };
});
const popSd = avg(per.map((p) => p.sd)), popMean = avg(per.map((p) => p.mean));
console.log("pop mean", popMean, "pop sd", popSd, "sd/mean", avg(per.map(p=>p.sd/p.mean)));
const variants: [string, (p: (typeof per)[0], d: number) => number][] = [
  ["raw", (_p, d) => d],
  ["z (before issue 16)", (p, d) => (d - p.mean) / p.sd],
  ["ratio (shipped)", (p, d) => d / p.mean],
  ["(d-mean)/popSd", (p, d) => (d - p.mean) / popSd],
  ...[0.25, 0.5, 1, 2].map((a) => [`z shrink sd ${a}`, (p: (typeof per)[0], d: number) => (d - p.mean) / ((p.sd + a * popSd) / (1 + a))] as [string, (p: (typeof per)[0], d: number) => number]),
  ...[0.5, 1, 2].map((a) => [`z, mean shrink ${a}`, (p: (typeof per)[0], d: number) => (d - (p.mean + a * popMean) / (1 + a)) / p.sd] as [string, (p: (typeof per)[0], d: number) => number]),
];
for (const [name, f] of variants) {
  const e = (set: typeof per) => eer(set.flatMap((p) => p.gen.map((d) => f(p, d))), set.flatMap((p) => p.imp.map((d) => f(p, d)))).eer;
  console.log(name.padEnd(22), "1-20", (100 * e(per.slice(0, 20))).toFixed(2), "21-40", (100 * e(per.slice(20))).toFixed(2), "all", (100 * e(per)).toFixed(2));
}
