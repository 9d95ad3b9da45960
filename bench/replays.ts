// Replays of enrolment samples at verification: how close a copy of a training typing or a registered signature
// comes to the model's own samples, against how close a new genuine sample ever comes. The numbers behind
// REPLAY_LIMITS (src/biometrics/repeats.ts). A person never types 40 timings again to the millisecond nor
// signs the same trajectory twice; a copy does, so a sample that close is refused as `repeated_sample`.
// Keystroke: MEU-Mobile subjects 1-40, model trained on typings 1-25 (as bench/keystroke-levels.ts), genuine =
// typings 26-51; copies = each kept training typing as is, or with every timing moved by up to 1 / 5 ms; with and
// without touch pressure and area. Handwriting: MCYT writers 001-020 enrolled with 5 signatures (as
// bench/handwriting-levels.ts), genuine = their 20 verification signatures, skilled forgeries for comparison;
// copies = each reference as is, moved and scaled, with noise of 0.1 % / 1 % of its size added to every point, or
// resampled half a step later (a copy shifted in time is the copy itself: the parser counts time from the first point).
//
//   npx tsx bench/replays.ts         (~1 min; prints the tables of BENCHMARKS.md "Replayed enrolment samples")
import { readFileSync } from "node:fs";
import { enrollHandwriting, verifyHandwriting, type PenTrajectory } from "../src/biometrics/handwriting";
import { closestTrainingTyping, parseKeystrokeDataset, trainKeystrokeModel, type KeystrokeSample } from "../src/biometrics/keystroke";
import { REPLAY_LIMITS } from "../src/biometrics/repeats";
import { enrol, verif, WRITERS } from "./handwriting-raw";

let seed = 777;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1)))]!;
const row = (name: string, kind: string, xs: number[], limit: number) =>
  `| ${name} | ${kind} | ${xs.length} | ${q(xs, 0).toFixed(4)} | ${q(xs, 0.01).toFixed(4)} | ${q(xs, 0.5).toFixed(4)} | ${q(xs, 1).toFixed(4)} | ${xs.filter((x) => x < limit).length}/${xs.length} |`;
const header = (what: string) => [`| ${what} | kind | samples | min | 1st pct | median | max | refused |`, "|---|---|---|---|---|---|---|---|"];

// ---------------- keystroke ----------------
const DATA = new URL("../../shared/data/keystroke/meu-mobile-ksd/data/", import.meta.url);
const timings = (s: KeystrokeSample): KeystrokeSample => ({ hold: s.hold, downDown: s.downDown, upDown: s.upDown });
const jitter = (s: KeystrokeSample, ms: number): KeystrokeSample => {
  const j = (a: number[]) => a.map((v) => v + (rand() * 2 - 1) * ms);
  return { ...s, hold: j(s.hold).map((v) => Math.max(1, v)), downDown: j(s.downDown), upDown: j(s.upDown) };
};
for (const touch of [true, false]) {
  const genuine: number[] = [];
  const copies = { exact: [] as number[], ms1: [] as number[], ms5: [] as number[] };
  for (let subject = 1; subject <= 40; subject++) {
    const all = parseKeystrokeDataset(readFileSync(new URL(`${subject}.csv`, DATA), "utf8"), { field: "bench" }).map((s) => (touch ? s : timings(s)));
    const model = trainKeystrokeModel(all.slice(0, 25));
    for (const s of all.slice(25)) genuine.push(closestTrainingTyping(model, s));
    for (const s of all.slice(5, 25)) {
      copies.exact.push(closestTrainingTyping(model, s));
      copies.ms1.push(closestTrainingTyping(model, jitter(s, 1)));
      copies.ms5.push(closestTrainingTyping(model, jitter(s, 5)));
    }
  }
  const limit = REPLAY_LIMITS.keystrokeDistance;
  console.log(`\n### Keystroke, ${touch ? "with touch pressure and area" : "timings only"}: distance to the closest kept training typing (refused under ${limit})\n`);
  console.log(header("the test typing is").join("\n"));
  console.log(row("a new typing of the student (26-51)", "live", genuine, limit));
  console.log(row("a training typing, copied", "copy", copies.exact, limit));
  console.log(row("a training typing, every timing moved by up to 1 ms", "copy", copies.ms1, limit));
  console.log(row("a training typing, every timing moved by up to 5 ms", "copy", copies.ms5, limit));
}

// ---------------- handwriting ----------------
const scaleOf = (a: number[]) => Math.max(...a) - Math.min(...a) || 1;
const variants: [string, (t: PenTrajectory) => PenTrajectory][] = [
  ["a reference, copied", (t) => t],
  ["a reference, moved and scaled x1.3", (t) => ({ ...t, x: t.x.map((v) => 1.3 * v + 500), y: t.y.map((v) => 1.3 * v - 200) })],
  ["a reference, noise of 0.1 % of its size on every point", (t) => ({ ...t, x: t.x.map((v) => v + (rand() * 2 - 1) * 0.001 * scaleOf(t.x)), y: t.y.map((v) => v + (rand() * 2 - 1) * 0.001 * scaleOf(t.y)) })],
  ["a reference, noise of 1 %", (t) => ({ ...t, x: t.x.map((v) => v + (rand() * 2 - 1) * 0.01 * scaleOf(t.x)), y: t.y.map((v) => v + (rand() * 2 - 1) * 0.01 * scaleOf(t.y)) })],
  ["a reference, resampled half a step (5 ms) later", (t) => ({
    ...t,
    t: t.t.slice(0, -1).map((v, i) => (v + t.t[i + 1]!) / 2),
    x: t.x.slice(0, -1).map((v, i) => (v + t.x[i + 1]!) / 2),
    y: t.y.slice(0, -1).map((v, i) => (v + t.y[i + 1]!) / 2),
    pressure: t.pressure.slice(0, -1).map((v, i) => (v + t.pressure[i + 1]!) / 2),
  })],
];
const hwGenuine: number[] = [];
const hwSkilled: number[] = [];
const hwCopies = new Map<string, number[]>(variants.map(([n]) => [n, []]));
for (const w of WRITERS) {
  const refs = enrol.get(w)!;
  const model = enrollHandwriting(refs, { field: "bench" });
  for (const g of verif.get(w)!.genuine) hwGenuine.push(verifyHandwriting(model, g).closestReference);
  for (const f of verif.get(w)!.skilled) hwSkilled.push(verifyHandwriting(model, f).closestReference);
  for (const r of refs) for (const [name, make] of variants) hwCopies.get(name)!.push(verifyHandwriting(model, make(r)).closestReference);
}
const hwLimit = REPLAY_LIMITS.handwritingClosestReference;
console.log(`\n### Handwriting: DTW distance to the closest reference / the writer's mean nearest-reference distance (refused under ${hwLimit})\n`);
console.log(header("the signature is").join("\n"));
console.log(row("a new signature of the writer", "live", hwGenuine, hwLimit));
console.log(row("a skilled forgery", "forgery", hwSkilled, hwLimit));
for (const [name] of variants) console.log(row(name, "copy", hwCopies.get(name)!, hwLimit));
