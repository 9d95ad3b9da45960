// Keystroke security levels (issue 16): the operating points of src/biometrics/keystroke/operating-points.ts,
// chosen on some MEU-Mobile subjects and reported on the others, and docs/keystroke-det.svg.
//
// Protocol: per subject, the model is trained on repetitions 1-25 (what /interaction/train gets); genuine
// decisions use repetitions 26-51, impostor decisions every repetition of each of the 39 other subjects. A
// decision on k typings uses their mean normalised distance (scoreKeystrokeSamples), on non-overlapping runs of k
// consecutive repetitions. Five folds by subject (fold = (subject - 1) mod 5): each level's threshold is chosen on
// the 32 calibration subjects' one-typing decisions by the rule below and applied to the 8 held-out subjects; the
// held-out errors of the five folds are pooled (every subject held out once). The shipped thresholds are the same
// rules applied to all 40 subjects. Caveat: the detector's hyperparameters (clip, floors) were chosen earlier on
// subjects 1-20 (BENCHMARKS.md), and its variant (nearest typings, warm-up) on all 40 by bench/keystroke-variants.ts,
// so only the threshold is held out here; that script's nested run holds out the variant choice too.
//
// Rules: `high` = the calibration subjects' equal-error point (the least half total error with one typing, what
// issue 16 asks of the engine); `standard` = the smallest threshold refusing at most 3 % of the calibration
// subjects' genuine typings (the student first, as the face's `standard` refuses about 3 %). Until 2026-12-05 `high`
// was "FMR <= 3 %" and `standard` the equal-error point: with one typing per request, as clients send them, that
// `high` refused 18 % of genuine typings (the "other rules" table below has every candidate's figures).
//
//   npx tsx bench/keystroke-levels.ts      # ~20 s; prints the table and writes docs/keystroke-det.svg
//   npx tsx bench/keystroke-levels.ts --timings-only   # the same with pressure and area dropped (a desktop keyboard,
//                                                      # a browser's KeyboardEvents): docs/keystroke-timings-only-*.svg
import { readFileSync, writeFileSync } from "node:fs";
import { parseKeystrokeDataset, scoreKeystroke, trainKeystrokeModel, type KeystrokeSample } from "../src/biometrics/keystroke";
import { KEYSTROKE_OPERATING_POINTS, KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY } from "../src/biometrics/keystroke/operating-points";
import { SECURITY_LEVELS, type SecurityLevel } from "../src/biometrics/security-level";
import { count, reportByPerson, type PersonErrors } from "./by-person";
import { detSvg } from "./det-svg";
import { avg, eer, errorsAt, fix, fmtRate, measuredRate, pct, thresholdAtFmr } from "./metrics";

const DATA = new URL("../../shared/data/keystroke/meu-mobile-ksd/data/", import.meta.url);
const SUBJECTS = Array.from({ length: 40 }, (_, i) => i + 1);
/** Timings only: what a desktop keyboard or a browser's KeyboardEvents give (no touch pressure or finger area). */
const TIMINGS_ONLY = process.argv.includes("--timings-only");
const timings = (s: KeystrokeSample): KeystrokeSample => ({ hold: s.hold, downDown: s.downDown, upDown: s.upDown });
const data = new Map<number, KeystrokeSample[]>(
  SUBJECTS.map((s) => {
    const samples = parseKeystrokeDataset(readFileSync(new URL(`${s}.csv`, DATA), "utf8"), { field: "bench" });
    return [s, TIMINGS_ONLY ? samples.map(timings) : samples];
  }),
);
const SHIPPED_POINTS = TIMINGS_ONLY ? KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY : KEYSTROKE_OPERATING_POINTS;
const SVG_SUFFIX = TIMINGS_ONLY ? "-timings-only" : "";
const TITLE = TIMINGS_ONLY ? "Keystroke, timings only (MEU-Mobile without pressure and area, 40 subjects)" : "Keystroke (MEU-Mobile, 40 subjects)";
const TYPINGS = [1, 2, 3, 5];
const FOLDS = 5;
const STANDARD_CALIBRATION_FNMR = 0.03;

/** Per subject: one-typing distances of its own later typings and of every other subject's typings, by subject. */
const perSubject = new Map<number, { genuine: number[]; impostor: Map<number, number[]> }>();
for (const s of SUBJECTS) {
  const model = trainKeystrokeModel(data.get(s)!.slice(0, 25));
  const impostor = new Map<number, number[]>();
  for (const o of SUBJECTS) if (o !== s) impostor.set(o, data.get(o)!.map((r) => scoreKeystroke(model, r).distance));
  perSubject.set(s, { genuine: data.get(s)!.slice(25).map((r) => scoreKeystroke(model, r).distance), impostor });
}

/** Means of non-overlapping runs of k consecutive values (what one decision on k typings sees). */
const runs = (a: number[], k: number) => Array.from({ length: Math.floor(a.length / k) }, (_, i) => avg(a.slice(i * k, i * k + k)));
const decisions = (subjects: number[], k: number) => ({
  genuine: subjects.flatMap((s) => runs(perSubject.get(s)!.genuine, k)),
  impostor: subjects.flatMap((s) => [...perSubject.get(s)!.impostor.values()].flatMap((d) => runs(d, k))),
});
/** The smallest threshold whose false non-match rate on `genuine` is at most `fnmr`. */
function thresholdAtFnmr(genuine: number[], fnmr: number): number {
  const s = [...genuine].sort((a, b) => a - b);
  const refused = Math.floor(fnmr * s.length + 1e-9);
  return s[s.length - 1 - refused]!;
}
function thresholds(subjects: number[]): Record<SecurityLevel, number> {
  const d = decisions(subjects, 1);
  return { high: eer(d.genuine, d.impostor).threshold, standard: thresholdAtFnmr(d.genuine, STANDARD_CALIBRATION_FNMR) };
}

// Cross-validation: pooled held-out errors per level and number of typings, and per person (one typing).
const pooled = new Map<string, { fnm: number; g: number; fm: number; i: number }>();
const byPerson = new Map<SecurityLevel, Map<string, PersonErrors>>(SECURITY_LEVELS.map((l) => [l, new Map()]));
const foldThresholds: Record<SecurityLevel, number>[] = [];
for (let f = 0; f < FOLDS; f++) {
  const held = SUBJECTS.filter((s) => (s - 1) % FOLDS === f);
  const th = thresholds(SUBJECTS.filter((s) => (s - 1) % FOLDS !== f));
  foldThresholds.push(th);
  for (const level of SECURITY_LEVELS) {
    for (const s of held) {
      const rows = byPerson.get(level)!;
      for (const d of perSubject.get(s)!.genuine) count(rows, `subject ${s}`, true, d <= th[level]);
      for (const ds of perSubject.get(s)!.impostor.values()) for (const d of ds) count(rows, `subject ${s}`, false, d <= th[level]);
    }
  }
  for (const k of TYPINGS) {
    const d = decisions(held, k);
    for (const level of SECURITY_LEVELS) {
      const e = errorsAt(d.genuine, d.impostor, th[level]);
      const key = `${level}/${k}`;
      const acc = pooled.get(key) ?? { fnm: 0, g: 0, fm: 0, i: 0 };
      pooled.set(key, { fnm: acc.fnm + e.falseNonMatches, g: acc.g + d.genuine.length, fm: acc.fm + e.falseMatches, i: acc.i + d.impostor.length });
    }
  }
}

console.log(`keystroke security levels, MEU-Mobile (40 subjects${TIMINGS_ONLY ? ", timings only" : ""}), ${FOLDS}-fold cross-validation by subject`);
console.log(`rules: high = the calibration subjects' equal-error point; standard = smallest threshold with FNMR <= ${pct(STANDARD_CALIBRATION_FNMR, 0)} on them`);
for (const level of SECURITY_LEVELS) console.log(`  ${level} thresholds chosen per fold: ${foldThresholds.map((t) => fix(t[level], 3)).join(", ")}`);
console.log("\nheld-out subjects, pooled over the folds (95 % Wilson intervals; a decision on k typings = their mean distance):");
console.log("| level | typings per decision | FNMR | FMR | half total error |");
console.log("|---|---|---|---|---|");
for (const level of SECURITY_LEVELS) {
  for (const k of TYPINGS) {
    const r = pooled.get(`${level}/${k}`)!;
    console.log(`| ${level} | ${k} | ${fmtRate(r.fnm, r.g)} | ${fmtRate(r.fm, r.i)} | ${pct((r.fnm / r.g + r.fm / r.i) / 2)} |`);
  }
}
// Other rules, same folds (threshold by the rule on the 32 calibration subjects' one-typing decisions, errors on
// the 8 held out, pooled): what each candidate operating point would give, one typing per decision.
const OTHER_RULES: [string, (d: { genuine: number[]; impostor: number[] }) => number][] = [
  ["FMR <= 1 %", (d) => thresholdAtFmr(d.impostor, 0.01)],
  ["FMR <= 3 %", (d) => thresholdAtFmr(d.impostor, 0.03)],
  ["FMR <= 5 %", (d) => thresholdAtFmr(d.impostor, 0.05)],
  ["equal-error point", (d) => eer(d.genuine, d.impostor).threshold],
  ["FNMR <= 5 %", (d) => thresholdAtFnmr(d.genuine, 0.05)],
  ["FNMR <= 3 %", (d) => thresholdAtFnmr(d.genuine, 0.03)],
  ["FNMR <= 2 %", (d) => thresholdAtFnmr(d.genuine, 0.02)],
];
console.log("\nother rules, one typing per decision, held out (threshold on all 40 in brackets):");
console.log("| rule | FNMR | FMR | half total error |");
console.log("|---|---|---|---|");
for (const [name, rule] of OTHER_RULES) {
  let fnm = 0, g = 0, fm = 0, i = 0;
  for (let f = 0; f < FOLDS; f++) {
    const th = rule(decisions(SUBJECTS.filter((s) => (s - 1) % FOLDS !== f), 1));
    const d = decisions(SUBJECTS.filter((s) => (s - 1) % FOLDS === f), 1);
    const e = errorsAt(d.genuine, d.impostor, th);
    fnm += e.falseNonMatches; g += d.genuine.length; fm += e.falseMatches; i += d.impostor.length;
  }
  console.log(`| ${name} (${fix(rule(decisions(SUBJECTS, 1)), 3)}) | ${fmtRate(fnm, g)} | ${fmtRate(fm, i)} | ${pct((fnm / g + fm / i) / 2)} |`);
}

// EER per number of typings on all 40 subjects (one threshold for all, pooled): what the curve allows at best.
const all = new Map(TYPINGS.map((k) => [k, decisions(SUBJECTS, k)]));
console.log(`\npooled EER (one threshold for every subject, all 40): ${TYPINGS.map((k) => `${k} typing(s) ${pct(eer(all.get(k)!.genuine, all.get(k)!.impostor).eer)}`).join(", ")}`);

// Shipped: the same rules on all 40 subjects; measured = the pooled cross-validated one-typing figures.
const shipped = thresholds(SUBJECTS);
console.log("\nshipped (rules applied to all 40 subjects) -> src/biometrics/keystroke/operating-points.ts:");
for (const level of SECURITY_LEVELS) {
  const r = pooled.get(`${level}/1`)!;
  console.log(
    `  ${level}: threshold ${fix(shipped[level], 2)}, measured fmr ${JSON.stringify(measuredRate(r.fm, r.i))}, fnmr ${JSON.stringify(measuredRate(r.fnm, r.g))}`,
  );
  const committed = SHIPPED_POINTS[level].threshold;
  if (Math.abs(committed - Number(shipped[level].toFixed(2))) > 1e-9) console.log(`    <-- operating-points.ts has ${committed}: update it`);
}

const d1 = all.get(1)!;
const svg = detSvg(
  `${TITLE}: DET by typings per decision`,
  TYPINGS.map((k, n) => ({ label: `${k} typing${k > 1 ? "s" : ""}`, colour: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"][n]!, ...all.get(k)! })),
  SECURITY_LEVELS.map((level) => {
    const r = pooled.get(`${level}/1`)!;
    return { label: `${level} (1 typing, held out)`, fmr: r.fm / r.i, fnmr: r.fnm / r.g };
  }),
  "Curves: all 40 subjects pooled, one threshold for all\n" +
    `(${d1.genuine.length} genuine, ${d1.impostor.length} impostor one-typing decisions).\n` +
    `Circles: the levels' cross-validated error rates (thresholds chosen on other subjects).\n` +
    `Made by: npx tsx bench/keystroke-levels.ts${TIMINGS_ONLY ? " --timings-only" : ""}`,
);
writeFileSync(new URL(`../docs/keystroke${SVG_SUFFIX}-det.svg`, import.meta.url), svg);
console.log(`\nwrote docs/keystroke${SVG_SUFFIX}-det.svg`);

// Errors by person (held out, one typing per decision): are the refusals and false matches spread or concentrated?
reportByPerson(
  `docs/keystroke${SVG_SUFFIX}-by-person.svg`,
  "by person, held out, one typing per decision",
  `${TITLE}: errors by person, one typing per decision`,
  SECURITY_LEVELS.map((level) => [level, [...byPerson.get(level)!.values()]]),
  "Each subject held out once (5 folds; thresholds chosen on the other 32). Left: the subject's own 26 later typings;\n" +
    "right: the 39 other subjects' 51 typings each, scored against this subject's model.\n" +
    `Made by: npx tsx bench/keystroke-levels.ts${TIMINGS_ONLY ? " --timings-only" : ""}`,
);
