// Are an enrolment's signatures one person's? Two statistics of the stability-weighted DTW distances between the
// enrolment's signatures (as enrolment computes them), on MCYT enrolment signatures read in place:
// - spread (enrolmentSpread): the farthest reference's mean distance to the others (one outlier);
// - split (enrolmentSplit): over every split of the set into two groups, the largest mean distance across the split
//   (two people's signatures, half each).
// Every writer's own sets (all 5, every 3 and 4 of them) against sets that mix writers: 4 of one writer + 1 of another,
// 2 + 1, 3 writers with one signature each (issue 16, 2026-12-06), and the balanced mixes two people working together
// would send: 3 + 3, 2 + 2, 3 + 2 and 5 + 5 (a probe's 3 + 3 sets passed the spread line 9 times in 120, 2026-12-07).
// Each writer is paired with the next ones in turn. Run: npx tsx bench/handwriting-enrolment-consistency.ts
// [--no-pressure]  (a few minutes)
import { enrol, noPressure, RANDOM, WRITERS } from "./handwriting-raw";
import { enrolmentSplit, enrolmentSpread, handwritingParamsFor, handwritingReference, referenceDistances } from "../src/biometrics/handwriting/model";
import type { PenTrajectory } from "../src/biometrics/handwriting";

const params = handwritingParamsFor(!noPressure);
const writers = [...WRITERS, ...RANDOM];
const refs = new Map(writers.map((w) => [w, enrol.get(w)!.map((s: PenTrajectory) => handwritingReference(s, params.stepMs))]));
type Ref = ReturnType<typeof handwritingReference>;
const STATS = { spread: enrolmentSpread, split: enrolmentSplit } as const;
type Stat = keyof typeof STATS;
const measure = (set: Ref[]) => {
  const D = referenceDistances(set, params).D;
  return { spread: STATS.spread(D), split: STATS.split(D) };
};
const subsets = <T>(a: T[], k: number): T[][] => (k === 0 ? [[]] : a.flatMap((x, i) => subsets(a.slice(i + 1), k - 1).map((r) => [x, ...r])));

const t0 = Date.now();
type M = ReturnType<typeof measure>;
const genuine: Record<string, M[]> = { "5 of one writer": [], "4 of one writer": [], "3 of one writer": [] };
const mixed: Record<string, M[]> = {
  "4 + 1 other writer": [], "2 + 1 other writer": [], "3 writers, 1 each": [],
  "3 + 3": [], "2 + 2": [], "3 + 2": [], "5 + 5": [],
};
/** Per writer (the set's first writer), its own sets' and its mixed sets' statistics: for the writer-split check below. */
const byWriter: { own: M[]; mixed: M[] }[] = [];
writers.forEach((w, n) => {
  const own = refs.get(w)!;
  const [b, c] = [refs.get(writers[(n + 1) % writers.length]!)!, refs.get(writers[(n + 2) % writers.length]!)!];
  const mine: M[] = [];
  const theirs: M[] = [];
  const add = (to: Record<string, M[]>, name: string, sink: M[], set: Ref[]) => {
    const m = measure(set);
    to[name]!.push(m);
    sink.push(m);
  };
  add(genuine, "5 of one writer", mine, own);
  for (const s of subsets(own, 4)) add(genuine, "4 of one writer", mine, s);
  for (const s of subsets(own, 3)) add(genuine, "3 of one writer", mine, s);
  for (let k = 0; k < 5; k++) add(mixed, "4 + 1 other writer", theirs, [...own.slice(0, 4), b[k]!]);
  for (let k = 0; k < 3; k++) add(mixed, "2 + 1 other writer", theirs, [own[k]!, own[(k + 1) % 5]!, b[k]!]);
  add(mixed, "3 writers, 1 each", theirs, [own[0]!, b[1]!, c[2]!]);
  for (let k = 0; k < 3; k++) {
    const pick = (r: Ref[], m: number) => Array.from({ length: m }, (_, i) => r[(k + i) % 5]!);
    add(mixed, "3 + 3", theirs, [...pick(own, 3), ...pick(b, 3)]);
    add(mixed, "2 + 2", theirs, [...pick(own, 2), ...pick(b, 2)]);
    add(mixed, "3 + 2", theirs, [...pick(own, 3), ...pick(b, 2)]);
  }
  add(mixed, "5 + 5", theirs, [...own, ...b]);
  byWriter.push({ own: mine, mixed: theirs });
});

const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))]!;
const fmt = (v: number) => v.toFixed(3);
console.log(`MCYT ${writers.length} writers, ${noPressure ? "without pressure (pen-ups dropped)" : "with pressure"}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
for (const stat of Object.keys(STATS) as Stat[]) {
  console.log(`\n${stat}\n| set | n | min | 1 % | median | 99 % | max |\n|---|---|---|---|---|---|---|`);
  for (const [name, ms] of [...Object.entries(genuine), ...Object.entries(mixed)]) {
    const v = ms.map((m) => m[stat]);
    console.log(`| ${name} | ${v.length} | ${fmt(Math.min(...v))} | ${fmt(q(v, 0.01))} | ${fmt(q(v, 0.5))} | ${fmt(q(v, 0.99))} | ${fmt(Math.max(...v))} |`);
  }
}

// Writer split: the line is chosen on half the writers (the lowest value of any of their mixed sets: refuse whatever is
// as separated as a mixed set seen) and counted on the other half; then the halves swap. The mixed sets of a held-out
// writer include signatures of the next writers, which may be calibration writers: the split is by the set's own writer.
for (const stat of Object.keys(STATS) as Stat[]) {
  let ownRefused = 0, ownN = 0;
  const accepted: Record<string, [number, number]> = Object.fromEntries(Object.keys(mixed).map((k) => [k, [0, 0]]));
  const lines: number[] = [];
  for (const fold of [0, 1]) {
    const cal = byWriter.filter((_, i) => i % 2 === fold);
    const line = Math.min(...cal.flatMap((w) => w.mixed.map((m) => m[stat])));
    lines.push(line);
    writers.forEach((w, i) => {
      if (i % 2 === fold) return;
      for (const m of byWriter[i]!.own) (ownN++, (ownRefused += m[stat] > line ? 1 : 0));
    });
    // Mixed sets by kind, held-out writers only.
    byWriter.forEach((bw, i) => {
      if (i % 2 === fold) return;
      bw.mixed.forEach((m, n) => {
        const kind = mixedKindOf(n);
        accepted[kind]![1]++;
        if (m[stat] <= line) accepted[kind]![0]++;
      });
    });
  }
  const all = Object.values(accepted).reduce((a, [x, n]) => [a[0] + x, a[1] + n], [0, 0]);
  console.log(`\n${stat}, held out by writer (lines ${lines.map(fmt).join(" / ")}): own-writer sets refused ${ownRefused}/${ownN} (${((100 * ownRefused) / ownN).toFixed(2)} %), mixed sets accepted ${all[0]}/${all[1]} (${((100 * all[0]) / all[1]).toFixed(2)} %)`);
  console.log(Object.entries(accepted).map(([k, [x, n]]) => `  ${k}: accepted ${x}/${n}`).join("\n"));
  const full = Math.min(...byWriter.flatMap((w) => w.mixed.map((m) => m[stat])));
  console.log(`  the same rule on all ${writers.length} writers: line ${fmt(full)}`);
}

/** The kind of a writer's n-th mixed set, in the order they are added above. */
function mixedKindOf(n: number): string {
  if (n < 5) return "4 + 1 other writer";
  if (n < 8) return "2 + 1 other writer";
  if (n < 9) return "3 writers, 1 each";
  if (n < 18) return ["3 + 3", "2 + 2", "3 + 2"][(n - 9) % 3]!;
  return "5 + 5";
}
