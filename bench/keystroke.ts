// Keystroke benchmark on MEU-Mobile KSD (../shared/data/keystroke, read in place, never copied).
// Protocol (Killourhy-Maxion adapted to 51 repetitions): per subject, train on repetitions 1-25, genuine tests =
// repetitions 26-51, impostor tests = repetitions 1-5 of each of the 39 other subjects; EER per subject, averaged.
// Hyperparameters were chosen on subjects 1-20 (`--sweep` reruns that search on 1-20 only); the global threshold
// is set on subjects 1-20's pooled normalised scores and then applied unchanged to 21-40.
//
//   npx tsx bench/keystroke.ts            # report
//   npx tsx bench/keystroke.ts --sweep    # hyperparameter search on subjects 1-20
import { readFileSync } from "node:fs";
import { DEFAULT_KEYSTROKE_PARAMS, parseKeystrokeDataset, scoreKeystroke, trainKeystrokeModel, type KeystrokeParams, type KeystrokeSample } from "../src/biometrics/keystroke";
import { avg, eer, fix, fmtTime, pct, quantiles, ratesAt, timeIt } from "./metrics";

const DATA = new URL("../../shared/data/keystroke/meu-mobile-ksd/data/", import.meta.url);
const SUBJECTS = Array.from({ length: 40 }, (_, i) => i + 1);
// The files go through the same parser the API uses (headerless 71-field rows).
const data = new Map<number, KeystrokeSample[]>(
  SUBJECTS.map((s) => [s, parseKeystrokeDataset(readFileSync(new URL(`${s}.csv`, DATA), "utf8"), { field: "bench" })]),
);
const TUNE = SUBJECTS.filter((s) => s <= 20);
const HELD = SUBJECTS.filter((s) => s > 20);

type Variant = { name: string; strip?: (s: KeystrokeSample) => KeystrokeSample; params?: Partial<KeystrokeParams> };

function run(subjects: number[], v: Variant) {
  const strip = v.strip ?? ((s: KeystrokeSample) => s);
  const per: { subject: number; eer: number; gen: number[]; imp: number[] }[] = [];
  for (const s of subjects) {
    const rows = data.get(s)!.map(strip);
    const model = trainKeystrokeModel(rows.slice(0, 25), { params: v.params ?? {} });
    const gen = rows.slice(25).map((r) => scoreKeystroke(model, r).distance);
    const imp: number[] = [];
    for (const t of SUBJECTS) if (t !== s) for (const r of data.get(t)!.slice(0, 5)) imp.push(scoreKeystroke(model, strip(r)).distance);
    per.push({ subject: s, eer: eer(gen, imp).eer, gen, imp });
  }
  return per;
}

const timingOnly = (s: KeystrokeSample): KeystrokeSample => ({ hold: s.hold, downDown: s.downDown, upDown: s.upDown });

if (process.argv.includes("--sweep")) {
  console.log("hyperparameter search, subjects 1-20 only (mean EER)");
  for (const clip of [2, 3, 4, 1e9]) {
    for (const timingFloor of [0.05, 0.1, 0.15]) {
      for (const relativeFloor of [0.01, 0.03, 0.1]) {
        const r = run(TUNE, { name: "", params: { clip, timingFloor, relativeFloor } });
        console.log(`clip ${clip} timingFloor ${timingFloor} relativeFloor ${relativeFloor}: ${fix(avg(r.map((x) => x.eer)))}`);
      }
    }
  }
  process.exit(0);
}

for (const v of [
  { name: "timings only (hold, down-down, up-down)", strip: timingOnly },
  { name: "timings + pressure + area (the API's detector)" },
] as Variant[]) {
  const tune = run(TUNE, v);
  const held = run(HELD, v);
  const all = [...tune, ...held];
  // Global threshold: EER point of subjects 1-20's pooled normalised distances, applied to every subject.
  const { threshold } = eer(tune.flatMap((x) => x.gen), tune.flatMap((x) => x.imp));
  console.log(`\n## ${v.name}`);
  console.log(`mean EER  subjects 1-20 (tuning): ${fix(avg(tune.map((x) => x.eer)))}   21-40 (held out): ${fix(avg(held.map((x) => x.eer)))}   all 40: ${fix(avg(all.map((x) => x.eer)))}`);
  const q = quantiles(all.map((x) => x.eer));
  console.log(`per-subject EER (all 40): min ${fix(q.min)} p25 ${fix(q.p25)} median ${fix(q.median)} p75 ${fix(q.p75)} max ${fix(q.max)}`);
  console.log(`global threshold from subjects 1-20: ${fix(threshold, 3)}`);
  for (const [label, set] of [["1-20", tune], ["21-40", held], ["all", all]] as const) {
    const r = ratesAt(set.flatMap((x) => x.gen), set.flatMap((x) => x.imp), threshold);
    const th = DEFAULT_KEYSTROKE_PARAMS.threshold;
    const d = ratesAt(set.flatMap((x) => x.gen), set.flatMap((x) => x.imp), th);
    console.log(`  subjects ${label}: at ${fix(threshold, 3)} FNMR ${pct(r.fnmr)} FMR ${pct(r.fmr)}; at the shipped ${th} FNMR ${pct(d.fnmr)} FMR ${pct(d.fmr)}`);
  }
}

// Latency and size with the default parameters.
{
  const rows = data.get(1)!;
  const N = 200;
  const parseText = readFileSync(new URL("1.csv", DATA), "utf8");
  trainKeystrokeModel(rows.slice(0, 25)); // warm-up
  const parse = timeIt(() => parseKeystrokeDataset(parseText), N);
  const train = timeIt(() => trainKeystrokeModel(rows.slice(0, 25)), N);
  const model = trainKeystrokeModel(rows.slice(0, 25));
  const score = timeIt((i) => scoreKeystroke(model, rows[25 + (i % 26)]!), N * 10);
  console.log(`\nlatency: parse 51-row CSV ${fmtTime(parse)}; train (25 samples, 73 features) ${fmtTime(train)}; score one sample ${fmtTime(score, 3)}`);
  console.log(`model size: ${JSON.stringify(model).length} bytes of JSON`);
}
