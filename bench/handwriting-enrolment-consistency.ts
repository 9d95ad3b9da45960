// Are an enrolment's signatures one person's? The spread statistic (enrolmentSpread: the farthest reference's mean
// stability-weighted DTW distance to the others, as enrolment computes it) on MCYT enrolment signatures, read in
// place: every writer's own sets (all 5, and every 3 and 4 of them) against sets that mix writers (4 of one writer +
// 1 of another, 2 + 1, and 3 writers with one signature each; each writer paired with the next ones in turn).
// A black-box probe enrolled 3 signatures of 3 writers in one request: accepted, and the model then accepted 18 of 20
// other writers. Run: npx tsx bench/handwriting-enrolment-consistency.ts [--no-pressure]  (a few minutes)
import { enrol, noPressure, RANDOM, WRITERS } from "./handwriting-raw";
import { enrolmentSpread, handwritingParamsFor, handwritingReference, referenceDistances } from "../src/biometrics/handwriting/model";
import type { PenTrajectory } from "../src/biometrics/handwriting";

const params = handwritingParamsFor(!noPressure);
const writers = [...WRITERS, ...RANDOM];
const refs = new Map(writers.map((w) => [w, enrol.get(w)!.map((s: PenTrajectory) => handwritingReference(s, params.stepMs))]));
const spread = (set: ReturnType<typeof handwritingReference>[]) => enrolmentSpread(referenceDistances(set, params).D);
const subsets = <T>(a: T[], k: number): T[][] => (k === 0 ? [[]] : a.flatMap((x, i) => subsets(a.slice(i + 1), k - 1).map((r) => [x, ...r])));

const t0 = Date.now();
const genuine: Record<string, number[]> = { "5 of one writer": [], "4 of one writer": [], "3 of one writer": [] };
const mixed: Record<string, number[]> = { "4 + 1 other writer": [], "2 + 1 other writer": [], "3 writers, 1 each": [] };
/** Per writer (the set's first writer), its own sets' and its mixed sets' spreads: for the writer-split check below. */
const byWriter: { own: number[]; mixed: number[] }[] = [];
writers.forEach((w, n) => {
  const counts = [...Object.values(genuine), ...Object.values(mixed)].map((v) => v.length);
  const own = refs.get(w)!;
  genuine["5 of one writer"]!.push(spread(own));
  for (const s of subsets(own, 4)) genuine["4 of one writer"]!.push(spread(s));
  for (const s of subsets(own, 3)) genuine["3 of one writer"]!.push(spread(s));
  const [b, c] = [writers[(n + 1) % writers.length]!, writers[(n + 2) % writers.length]!];
  for (let k = 0; k < 5; k++) mixed["4 + 1 other writer"]!.push(spread([...own.slice(0, 4), refs.get(b)![k]!]));
  for (let k = 0; k < 3; k++) mixed["2 + 1 other writer"]!.push(spread([own[k]!, own[(k + 1) % 5]!, refs.get(b)![k]!]));
  mixed["3 writers, 1 each"]!.push(spread([own[0]!, refs.get(b)![1]!, refs.get(c)![2]!]));
  const added = (v: number[], i: number) => v.slice(counts[i]!);
  byWriter.push({
    own: Object.values(genuine).flatMap((v, i) => added(v, i)),
    mixed: Object.values(mixed).flatMap((v, i) => added(v, i + 3)),
  });
});

const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))]!;
const fmt = (v: number) => v.toFixed(3);
console.log(`MCYT ${writers.length} writers, ${noPressure ? "without pressure (pen-ups dropped)" : "with pressure"}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log("| set | n | min | 1 % | median | 99 % | max |\n|---|---|---|---|---|---|---|");
for (const [name, v] of [...Object.entries(genuine), ...Object.entries(mixed)]) {
  console.log(`| ${name} | ${v.length} | ${fmt(Math.min(...v))} | ${fmt(q(v, 0.01))} | ${fmt(q(v, 0.5))} | ${fmt(q(v, 0.99))} | ${fmt(Math.max(...v))} |`);
}
const maxGenuine = Math.max(...Object.values(genuine).flat());
const refused = (v: number[], line: number) => `${v.filter((x) => x > line).length}/${v.length} (${((100 * v.filter((x) => x > line).length) / v.length).toFixed(1)} %)`;
console.log(`\n| line | own sets refused (5 / 4 / 3) | ${Object.keys(mixed).join(" | ")} |\n|---|---|${Object.keys(mixed).map(() => "---").join("|")}|`);
const LINES = process.argv.includes("--lines") ? process.argv[process.argv.indexOf("--lines") + 1]!.split(",").map(Number) : [1.2, 1.4, 1.5, 1.6, 1.8, 2.0, maxGenuine];
for (const line of LINES) {
  const own = Object.values(genuine).map((v) => refused(v, line)).join(" / ");
  console.log(`| ${fmt(line)} | ${own} | ${Object.values(mixed).map((v) => `accepted ${v.filter((x) => x <= line).length}/${v.length}`).join(" | ")} |`);
}

// Writer split: the line is chosen on half the writers (the lowest spread of any of their mixed sets: refuse whatever is
// as spread as a mixed set seen) and counted on the other half; then the halves swap. The mixed sets of a held-out
// writer include signatures of the next writers, which may be calibration writers: the split is by the set's own writer.
let ownRefused = 0, ownN = 0, mixedAccepted = 0, mixedN = 0;
for (const fold of [0, 1]) {
  const cal = byWriter.filter((_, i) => i % 2 === fold);
  const held = byWriter.filter((_, i) => i % 2 !== fold);
  const line = Math.min(...cal.flatMap((w) => w.mixed));
  const o = held.flatMap((w) => w.own);
  const m = held.flatMap((w) => w.mixed);
  ownRefused += o.filter((x) => x > line).length;
  ownN += o.length;
  mixedAccepted += m.filter((x) => x <= line).length;
  mixedN += m.length;
  console.log(`fold ${fold}: line ${fmt(line)} (from ${cal.length} writers); held out: own sets refused ${o.filter((x) => x > line).length}/${o.length}, mixed accepted ${m.filter((x) => x <= line).length}/${m.length}`);
}
console.log(`held out, pooled: own-writer sets refused ${ownRefused}/${ownN} (${((100 * ownRefused) / ownN).toFixed(2)} %), mixed sets accepted ${mixedAccepted}/${mixedN} (${((100 * mixedAccepted) / mixedN).toFixed(2)} %)`);
