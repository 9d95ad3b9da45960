// Handwriting security levels (issue 16): the operating points of src/biometrics/handwriting/operating-points.ts,
// chosen on some MCYT writers and reported on the others, and docs/handwriting-det.svg.
//
// Protocol (as bench/handwriting.ts): writers 001-020 enrol with their 5 enrolment signatures; genuine = their 20
// verification signatures, skilled forgeries = the 25 forgeries of each, random forgeries = the 5 enrolment
// signatures of each of writers 031-100. Five folds by writer (fold = (writer - 1) mod 5): on the 16 calibration
// writers the engine's grid point is chosen as bench/handwriting.ts does (pooled skilled EER) and each level's
// threshold by its rule; the errors are counted on the 4 held-out writers and pooled over the folds (every writer
// held out once: 400 genuine, 500 skilled, 140,000 random trials). The shipped thresholds are the same rules on
// all 20 writers with the shipped parameters (which that grid chooses on all 20).
//
// Rules: `high` = the largest threshold whose skilled-forgery FMR on the calibration writers is at most 2 % (a
// margin under the 5 % target: forgers' skill varies between writers, and the issue's test on 10 unseen writers saw
// twice the FMR cross-validation predicted at the old threshold 0.79); `standard` = the calibration writers'
// skilled-forgery equal-error point (the rule 0.79 was chosen by before). The script also prints the held-out
// errors of other candidate rules (FMR 1 / 3 %, FNMR 1 / 2 % on the calibration writers): they were looked at
// before the two above were picked, so the levels' figures carry that much selection. The rule "both <= 5 %,
// middle" (issue 16 part 4) was added later and not adopted (BENCHMARKS.md).
//
// `--no-pressure` repeats it on the same signatures as a browser or phone without a stylus reports them (no pressure,
// no pen-up points; bench/handwriting-raw.ts) for the levels of models enrolled without pressure
// (HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE). There each fold chooses the DTW feature set among
// FEATURE_SETS_WITHOUT_PRESSURE (bench/handwriting-raw.ts) on its calibration writers, the other parameters as shipped
// (HANDWRITING_PARAMS_WITHOUT_PRESSURE); `--features x,y,vx,vy,p` fixes one set (the models enrolled before,
// HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE_PEN_LIFT).
//
//   npx tsx bench/handwriting-levels.ts                 # ~2 min the first time (DTW, cached in /tmp), then ~20 s
//   npx tsx bench/handwriting-levels.ts --no-pressure   # draws docs/handwriting-no-pressure-*.svg (~25 min the first time)
import { writeFileSync } from "node:fs";
import { handwritingOperatingPoint } from "../src/biometrics/handwriting/operating-points";
import { SECURITY_LEVELS, type SecurityLevel } from "../src/biometrics/security-level";
import { count, reportByPerson, type PersonErrors } from "./by-person";
import { detSvg } from "./det-svg";
import { HANDWRITING_PARAMS_WITHOUT_PRESSURE, type HandwritingParams } from "../src/biometrics/handwriting/model";
import type { FeatureName } from "../src/biometrics/handwriting/features";
import { cachedRaw, choose, describe, evaluate, featureSetsWithoutPressure, noPressure, P0, type Raw, type Scored } from "./handwriting-raw";
import { eer, errorsAt, fix, fmtRate, measuredRate, pct, thresholdAtFmr } from "./metrics";

const FOLDS = 5;
/** The shipped parameters of the models measured here. */
const SHIPPED = noPressure ? HANDWRITING_PARAMS_WITHOUT_PRESSURE : P0;
/** Without pressure, the raw distances of every candidate feature set (the other parameters as shipped). */
const withFeatures = (f: FeatureName[]): HandwritingParams => ({ ...SHIPPED, features: f });
const featureKey = (p: HandwritingParams) => p.features.join(",");
const rawsByFeatures = new Map((noPressure ? featureSetsWithoutPressure : [P0.features]).map((f) => [f.join(","), cachedRaw(withFeatures(f))]));
const raws = rawsByFeatures.values().next().value!;
const rawsOf = (p: HandwritingParams, writers: Raw[]) => rawsByFeatures.get(featureKey(p))!.filter((r) => writers.some((w) => w.writer === r.writer));
const device = noPressure ? "without pressure or pen-up points" : "tablet";
const docs = noPressure ? "docs/handwriting-no-pressure" : "docs/handwriting";
/** The fold's engine parameters and their skilled EER threshold: the grid's choice on the calibration writers, or
 * without pressure the feature set with the lowest pooled skilled EER there, the other parameters as shipped. */
const engineFor = (calib: Raw[]) => {
  if (!noPressure) return choose(calib);
  let best: { p: HandwritingParams; threshold: number; eer: number } | null = null;
  for (const f of rawsByFeatures.keys()) {
    const p = withFeatures(f.split(",") as FeatureName[]);
    const s = evaluate(rawsOf(p, calib), p);
    const e = eer(s.flatMap((x) => x.genuine), s.flatMap((x) => x.skilled));
    if (!best || e.eer < best.eer - 1e-12) best = { p, threshold: e.threshold, eer: e.eer };
  }
  return best!;
};

/** The largest threshold refusing at most `fnmr` of the genuine signatures. */
const thresholdAtFnmr = (genuine: number[], fnmr: number) => [...genuine].sort((a, b) => a - b)[Math.ceil((1 - fnmr) * genuine.length) - 1]!;
/** Candidate rules for a threshold, on the calibration writers' distances (with the grid point's EER threshold). */
const RULES: Record<string, (s: Scored, eerThreshold: number) => number> = {
  "skilled FMR <= 1 %": (s) => thresholdAtFmr(s.flatMap((x) => x.skilled), 0.01),
  "skilled FMR <= 2 %": (s) => thresholdAtFmr(s.flatMap((x) => x.skilled), 0.02),
  "skilled FMR <= 3 %": (s) => thresholdAtFmr(s.flatMap((x) => x.skilled), 0.03),
  "skilled EER point": (_s, t) => t,
  "FNMR <= 2 %": (s) => thresholdAtFnmr(s.flatMap((x) => x.genuine), 0.02),
  "FNMR <= 1 %": (s) => thresholdAtFnmr(s.flatMap((x) => x.genuine), 0.01),
  // Issue 16 part 4: the point meeting both targets on the calibration writers, i.e. the middle of the thresholds
  // with FNMR <= 5 % and skilled FMR <= 5 % there (the EER point when no threshold meets both).
  "both <= 5 %, middle": (s, t) => {
    const lo = thresholdAtFnmr(s.flatMap((x) => x.genuine), 0.05);
    const hi = thresholdAtFmr(s.flatMap((x) => x.skilled), 0.05);
    return lo <= hi ? (lo + hi) / 2 : t;
  },
};
const LEVEL_RULE: Record<SecurityLevel, string> = { high: "skilled FMR <= 2 %", standard: "skilled EER point" };

function thresholds(s: Scored, eerThreshold: number): Record<SecurityLevel, number> {
  return { high: RULES[LEVEL_RULE.high]!(s, eerThreshold), standard: RULES[LEVEL_RULE.standard]!(s, eerThreshold) };
}

type Counts = { fnm: number; g: number; fms: number; s: number; fmr: number; r: number };
const pooled = new Map<SecurityLevel, Counts>(SECURITY_LEVELS.map((l) => [l, { fnm: 0, g: 0, fms: 0, s: 0, fmr: 0, r: 0 }]));
const pooledRule = new Map<string, Counts>(Object.keys(RULES).map((r) => [r, { fnm: 0, g: 0, fms: 0, s: 0, fmr: 0, r: 0 }]));
const add = (p: Counts, g: number[], sk: number[], rn: number[], t: number): Counts => {
  const es = errorsAt(g, sk, t);
  const er = errorsAt(g, rn, t);
  return { fnm: p.fnm + es.falseNonMatches, g: p.g + g.length, fms: p.fms + es.falseMatches, s: p.s + sk.length, fmr: p.fmr + er.falseMatches, r: p.r + rn.length };
};
// Held-out distances divided by their fold's `standard` threshold, so the five folds share one scale (1 = that
// fold's standard decision) and can be drawn as one DET curve.
const det = { genuine: [] as number[], skilled: [] as number[], random: [] as number[] };
/** The same writers with only their first k references (an enrolment sent one signature per request has 3, then 4
 * before it has 5): the levels' thresholds were chosen with 5. Recomputed with k references (the stability is
 * measured among them), cached like the 5-reference distances. */
const fewerRaws = new Map<string, Raw[]>();
const fewer = (rs: Raw[], k: number, p: HandwritingParams): Raw[] => {
  const key = `${k}/${featureKey(p)}`;
  if (!fewerRaws.has(key)) fewerRaws.set(key, cachedRaw(p, k));
  return fewerRaws.get(key)!.filter((r) => rs.some((x) => x.writer === r.writer));
};
const pooledFewer = new Map<string, Counts>();

/** Held-out decisions per writer and level: their own genuine signatures, and the skilled forgeries of them. */
const byWriter = new Map<SecurityLevel, Map<string, PersonErrors>>(SECURITY_LEVELS.map((l) => [l, new Map()]));

console.log(`handwriting security levels, MCYT writers 001-020 (${device}), ${FOLDS}-fold cross-validation by writer`);
console.log(`rules on the calibration writers: high = ${LEVEL_RULE.high}; standard = ${LEVEL_RULE.standard}\n`);
for (let f = 0; f < FOLDS; f++) {
  const inFold = (r: Raw) => (r.writer - 1) % FOLDS === f;
  const calib = raws.filter((r) => !inFold(r));
  const held = raws.filter(inFold);
  const c = engineFor(calib);
  const calibScored = evaluate(rawsOf(c.p, calib), c.p);
  const th = thresholds(calibScored, c.threshold);
  const s = evaluate(rawsOf(c.p, held), c.p);
  const g = s.flatMap((x) => x.genuine);
  const sk = s.flatMap((x) => x.skilled);
  const rn = s.flatMap((x) => x.random);
  const line: string[] = [];
  for (const level of SECURITY_LEVELS) {
    for (const x of s) {
      const writer = `writer ${String(x.writer).padStart(3, "0")}`;
      for (const d of x.genuine) count(byWriter.get(level)!, writer, true, d <= th[level]);
      for (const d of x.skilled) count(byWriter.get(level)!, writer, false, d <= th[level]);
    }
    const es = errorsAt(g, sk, th[level]);
    const er = errorsAt(g, rn, th[level]);
    pooled.set(level, add(pooled.get(level)!, g, sk, rn, th[level]));
    line.push(`${level} ${fix(th[level], 3)}: FNMR ${es.falseNonMatches}/${g.length}, FMR skilled ${es.falseMatches}/${sk.length}, random ${er.falseMatches}/${rn.length}`);
  }
  for (const k of [3, 4]) {
    const f3 = evaluate(fewer(held, k, c.p), c.p);
    for (const level of SECURITY_LEVELS) {
      const key = `${level}/${k}`;
      const p = pooledFewer.get(key) ?? { fnm: 0, g: 0, fms: 0, s: 0, fmr: 0, r: 0 };
      pooledFewer.set(key, add(p, f3.flatMap((x) => x.genuine), f3.flatMap((x) => x.skilled), f3.flatMap((x) => x.random), th[level]));
    }
  }
  for (const [name, rule] of Object.entries(RULES)) pooledRule.set(name, add(pooledRule.get(name)!, g, sk, rn, rule(calibScored, c.threshold)));
  det.genuine.push(...g.map((v) => v / th.standard));
  det.skilled.push(...sk.map((v) => v / th.standard));
  det.random.push(...rn.map((v) => v / th.standard));
  console.log(`fold ${f + 1}, held out ${held.map((r) => String(r.writer).padStart(3, "0")).join(" ")}: ${describe(c.p)}${noPressure ? `, features ${featureKey(c.p)}` : ""}`);
  console.log(`  ${line.join("; ")}`);
}

console.log("\nheld-out writers, pooled over the folds (95 % Wilson intervals):");
console.log("| level | FNMR | FMR skilled forgeries | FMR random forgeries |");
console.log("|---|---|---|---|");
for (const level of SECURITY_LEVELS) {
  const p = pooled.get(level)!;
  console.log(`| ${level} | ${fmtRate(p.fnm, p.g)} | ${fmtRate(p.fms, p.s)} | ${fmtRate(p.fmr, p.r, 3)} |`);
}
console.log("\nwith only 3 or 4 references (the first ones; thresholds chosen with 5):");
for (const [key, p] of pooledFewer) console.log(`  ${key.replace("/", ", ")} references: FNMR ${fmtRate(p.fnm, p.g)}, FMR skilled ${fmtRate(p.fms, p.s)}, random ${fmtRate(p.fmr, p.r, 3)}`);
console.log("\nevery candidate rule, held out and pooled the same way:");
for (const [name, p] of pooledRule) {
  const level = SECURITY_LEVELS.find((l) => LEVEL_RULE[l] === name);
  console.log(`  ${name.padEnd(20)} FNMR ${fmtRate(p.fnm, p.g)}, FMR skilled ${fmtRate(p.fms, p.s)}, random ${fmtRate(p.fmr, p.r, 3)}${level ? `   <- ${level}` : ""}`);
}
console.log(`pooled held-out EER on the common scale: skilled ${pct(eer(det.genuine, det.skilled).eer)}, random ${pct(eer(det.genuine, det.random).eer, 3)}`);

// Shipped: the rules on all 20 writers with the shipped parameters; measured = the cross-validated figures.
const all = engineFor(raws);
if (describe(all.p) !== describe(SHIPPED) || featureKey(all.p) !== featureKey(SHIPPED)) {
  console.log(`\n<-- on all 20 writers the choice is ${describe(all.p)}, features ${featureKey(all.p)}, not the shipped ${describe(SHIPPED)}, features ${featureKey(SHIPPED)}`);
}
const scored = evaluate(rawsOf(SHIPPED, raws), SHIPPED);
const shipped = thresholds(scored, eer(scored.flatMap((x) => x.genuine), scored.flatMap((x) => x.skilled)).threshold);
console.log(`\nshipped (rules applied to all 20 writers, shipped parameters) -> src/biometrics/handwriting/operating-points.ts (${device}):`);
for (const level of SECURITY_LEVELS) {
  const p = pooled.get(level)!;
  console.log(`  ${level}: threshold ${fix(shipped[level], 3)}, measured fmr (skilled) ${JSON.stringify(measuredRate(p.fms, p.s))}, fnmr ${JSON.stringify(measuredRate(p.fnm, p.g))}, random ${JSON.stringify(measuredRate(p.fmr, p.r))}`);
  const committed = handwritingOperatingPoint(level, { hasPressure: !noPressure, params: SHIPPED }).threshold;
  if (Math.abs(committed - Number(shipped[level].toFixed(3))) > 1e-9) console.log(`    <-- operating-points.ts has ${committed}: update it`);
}

const svg = detSvg(
  `Handwriting (MCYT writers 001-020, ${device}, held out): DET`,
  [
    { label: "skilled forgeries", colour: "#d62728", genuine: det.genuine, impostor: det.skilled },
    { label: "random forgeries", colour: "#1f77b4", genuine: det.genuine, impostor: det.random },
  ],
  SECURITY_LEVELS.map((level) => {
    const p = pooled.get(level)!;
    return { label: `${level} (skilled)`, fmr: p.fms / p.s, fnmr: p.fnm / p.g };
  }),
  "Held-out writers of 5 folds (engine and thresholds chosen on the other 16),\n" +
    `distances divided by each fold's standard threshold; ${det.genuine.length} genuine, ${det.skilled.length} skilled, ${det.random.length} random trials.\n` +
    "Circles: the levels' pooled held-out rates against skilled forgeries.\n" +
    `Made by: npx tsx bench/handwriting-levels.ts${noPressure ? " --no-pressure" : ""}`,
);
writeFileSync(new URL(`../${docs}-det.svg`, import.meta.url), svg);
console.log(`\nwrote ${docs}-det.svg`);

reportByPerson(
  `${docs}-by-person.svg`,
  "by writer, held out (skilled forgeries as the impostors)",
  `Handwriting (MCYT writers 001-020, ${device}, held out): errors by writer`,
  SECURITY_LEVELS.map((level) => [level, [...byWriter.get(level)!.values()]]),
  "Each writer held out once (5 folds; engine and thresholds chosen on the other 16). Left: the writer's 20 genuine\n" +
    "signatures; right: the 25 skilled forgeries of the writer's signature (random forgeries: 0 accepted at either level).\n" +
    `Made by: npx tsx bench/handwriting-levels.ts${noPressure ? " --no-pressure" : ""}`,
);
