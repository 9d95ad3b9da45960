// Face calibration on LFW (issue 17): embeds every LFW calibration photo with the service's pipeline
// (analyseImageBytes, onnxruntime-web WASM), splits identities into a calibration half and a report half,
// chooses the `high` and `standard` thresholds on the calibration half and reports every figure that describes
// the service on the report half (people the thresholds were not chosen on), with 95 % intervals.
//
// Run:   npx tsx bench/face-calibration.ts                      (the service's model; cache reused when present)
//        npx tsx bench/face-calibration.ts --embeddings /tmp/face-embeddings/<model>.json   (score any cache)
// Options: --model-name <name> (cache name when embedding; default FACE_MODEL_ID), --svg-dir <dir> (default
// docs/ for the service's model, the cache's folder otherwise).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FACE_MODEL_ID, FACE_POLICY } from "../src/biometrics/face/policy";
/** The single threshold the service used before security levels (issue 17), shown for comparison. */
const OLD_SINGLE_THRESHOLD = 0.38;
import { buildCache, readCache } from "./face-calibration/embed";
import { identityBootstrap, impostorsAbove, type PairScores, type PhotoSet, photoSet, scorePairs, topImpostors } from "./face-calibration/pairs";
import { eer, fmrAt, fmtRate, fnmrAt, pct, type Rate, summary, thresholdAtFmr, thresholdAtFmrUpperBound, wilson } from "./face-calibration/stats";
import { detSvg } from "./det-svg";
import { histogramSvg } from "./face-calibration/svg";
import { ENROL, type TemplateScores, templateScores } from "./face-calibration/templates";
import { labels } from "./node-face";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const given = arg("embeddings");
const modelName = arg("model-name") ?? FACE_MODEL_ID;
const cacheFile = given ?? `/tmp/face-embeddings/${modelName}.json`;
const cache = existsSync(cacheFile) ? readCache(cacheFile) : await buildCache(cacheFile, modelName);
const svgDir = arg("svg-dir") ?? (given ? dirname(cacheFile) : "docs");
const statusFile = `${cacheFile}.status.json`;
const statuses: Record<string, { status: string; liveness: number | null }> = existsSync(statusFile) ? JSON.parse(readFileSync(statusFile, "utf8")) : {};

const roleOf = new Map(labels().map((l) => [l.file, l.role]));
const lfw = cache.items.filter((i) => roleOf.get(i.file) === "calibration");
const verification = cache.items.filter((i) => roleOf.get(i.file) === "verification");
const stray = cache.items.filter((i) => !roleOf.has(i.file)).length;
console.log(`# Face calibration: model ${cache.model} (dim ${cache.dim}), cache ${cacheFile}`);
console.log(`photos in cache: ${cache.items.length} (LFW calibration ${lfw.length}, shared verification ${verification.length}${stray ? `, ${stray} not in labels.csv: ignored` : ""})`);

// The split rule shared with the model bake-off: identities sorted by name (default JS sort), even index ->
// calibration half, odd -> report half. Taken over every LFW identity in the cache, failures included, so every
// model gets the same halves.
const identities = [...new Set(lfw.map((i) => i.identity))].sort();
const calIds = identities.filter((_, k) => k % 2 === 0);
const repIds = identities.filter((_, k) => k % 2 === 1);

type Half = { name: string; set: PhotoSet; pairs: PairScores };
const half = (name: string, ids: string[]): Half => {
  const set = photoSet(lfw, ids);
  return { name, set, pairs: scorePairs(set) };
};
const t0 = performance.now();
const cal = half("calibration half", calIds);
const rep = half("report half", repIds);
console.log(`pair scoring: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- Failures to acquire and score distributions, per half.
const f3 = (x: number) => x.toFixed(3);
for (const h of [cal, rep]) {
  const s = h.set;
  const byStatus: Record<string, number> = {};
  for (const f of s.failures) byStatus[statuses[f]?.status ?? "no usable face"] = (byStatus[statuses[f]?.status ?? "no usable face"] ?? 0) + 1;
  const fta = fmtRate({ rate: s.failures.length / s.photos, ci95: [0, 0], errors: s.failures.length, trials: s.photos }, 2).replace(/; 95 % CI.*\)/, ")");
  console.log(`\n## ${h.name}: ${s.identities.length} identities, ${s.photos} photos, failures to acquire ${fta} ${JSON.stringify(byStatus)}`);
  for (const [kind, v] of [["genuine ", h.pairs.genuine], ["impostor", h.pairs.impostor]] as const) {
    const m = summary(v);
    console.log(`${kind} pairs ${m.n}: mean ${f3(m.mean)} sd ${f3(m.sd)} | min ${f3(m.min)} p1 ${f3(m.p01)} median ${f3(m.p50)} p99 ${f3(m.p99)} max ${f3(m.max)}`);
  }
  const e = eer(h.pairs.genuine, h.pairs.impostor);
  console.log(`EER ${pct(e.eer, 3)} at threshold ${f3(e.threshold)}`);
  console.log("| FMR target | threshold (this half) | FMR | FNMR |");
  console.log("|---|---|---|---|");
  for (const target of [1e-2, 1e-3, 1e-4]) {
    const t = thresholdAtFmr(h.pairs.impostor, target);
    console.log(`| ${target} | ${f3(t)} | ${fmtRate(fmrAt(h.pairs.impostor, t), 4)} | ${fmtRate(fnmrAt(h.pairs.genuine, t), 2)} |`);
  }
  console.log("highest impostor scores:");
  for (const x of topImpostors(s, h.pairs, 10)) console.log(`  ${f3(x.score)}  ${x.a}  ~  ${x.b}`);
}

// ---- Enrolment agreement: from the calibration half's genuine distribution (about 1 % of genuine pairs below).
const agreement = Math.floor(cal.pairs.genuine[Math.floor(0.01 * cal.pairs.genuine.length)]! * 100) / 100;

// ---- The service compares a template (mean of 3 enrolment photos) with one probe photo: score that too.
const calTpl = templateScores(cal.set, agreement);
const repTpl = templateScores(rep.set, agreement);

// ---- Operating points, chosen on the calibration half only. Margin: in both protocols (photo pairs and
// template against probe) the threshold at which the 95 % upper bound (Wilson) of the calibration-half FMR is
// at most the target; the higher of the two, rounded up to the next 0.01.
const roundUp = (t: number) => Math.ceil(t * 100 - 1e-9) / 100;
const LEVELS = [
  { level: "high", target: 1e-4 },
  { level: "standard", target: 1e-3 },
] as const;
console.log("\n## Operating points (chosen on the calibration half)");
console.log("| level | FMR target | pairs: threshold at target | pairs: at 95 % upper bound | templates: at target | templates: at 95 % upper bound | chosen (higher, rounded up to 0.01) |");
console.log("|---|---|---|---|---|---|---|");
const chosen = LEVELS.map(({ level, target }) => {
  const pairUpper = thresholdAtFmrUpperBound(cal.pairs.impostor, target);
  const tplUpper = thresholdAtFmrUpperBound(calTpl.impostor, target);
  const threshold = roundUp(Math.max(pairUpper, tplUpper));
  console.log(`| ${level} | ${target} | ${f3(thresholdAtFmr(cal.pairs.impostor, target))} | ${f3(pairUpper)} | ${f3(thresholdAtFmr(calTpl.impostor, target))} | ${f3(tplUpper)} | **${threshold.toFixed(2)}** |`);
  return { level, target, threshold };
});
console.log("calibration half at the chosen thresholds:");
for (const c of chosen) {
  console.log(`  ${c.level} ${c.threshold.toFixed(2)}: pairs FMR ${fmtRate(fmrAt(cal.pairs.impostor, c.threshold), 4)}, FNMR ${fmtRate(fnmrAt(cal.pairs.genuine, c.threshold), 2)}; templates FMR ${fmtRate(fmrAt(calTpl.impostor, c.threshold), 4)}, FNMR ${fmtRate(fnmrAt(calTpl.genuine, c.threshold), 2)}`);
}

// ---- The figures that describe the service: the report half, at the chosen thresholds.
const levelsAndOld = [...chosen, { level: "old single threshold", target: NaN, threshold: OLD_SINGLE_THRESHOLD }];
console.log("\n## Report half (identities the thresholds were not chosen on), template against probe (the service's comparison)");
const tplLine = (t: TemplateScores, a: number) =>
  `identities with >= ${ENROL + 1} usable photos: ${t.candidates}; 3-photo enrolments refused at agreement ${a.toFixed(2)}: ${fmtRate({ rate: t.refused / t.candidates, ci95: wilson(t.refused, t.candidates), errors: t.refused, trials: t.candidates }, 2)}; ` +
  `genuine attempts ${t.genuine.length}, impostor attempts ${t.impostor.length} (each template against every photo of the other identities of the half)`;
console.log(tplLine(repTpl, agreement));
console.log("| level | threshold | impostor attempts accepted (FMR, Wilson 95 %) | genuine attempts refused (FNMR, Wilson 95 %) |");
console.log("|---|---|---|---|");
const reported: Record<string, { fmr: Rate; fnmr: Rate }> = {};
for (const c of levelsAndOld) {
  const fmr = fmrAt(repTpl.impostor, c.threshold);
  const fnmr = fnmrAt(repTpl.genuine, c.threshold);
  reported[c.level] = { fmr, fnmr };
  console.log(`| ${c.level} | ${c.threshold.toFixed(2)} | ${fmtRate(fmr, 4)} | ${fmtRate(fnmr, 2)} |`);
}

console.log("\n## Report half, photo against photo (the standard protocol; the bake-off compares models on it)");
console.log("| level | threshold | FMR (Wilson 95 %) | FMR identity-bootstrap 95 % | FNMR (Wilson 95 %) | FNMR identity-bootstrap 95 % | false matches from |");
console.log("|---|---|---|---|---|---|---|");
const reportedPairs: Record<string, { fmr: Rate; fnmr: Rate }> = {};
for (const c of levelsAndOld) {
  const fmr = fmrAt(rep.pairs.impostor, c.threshold);
  const fnmr = fnmrAt(rep.pairs.genuine, c.threshold);
  reportedPairs[c.level] = { fmr, fnmr };
  const b = identityBootstrap(rep.set, rep.pairs, c.threshold);
  const fm = impostorsAbove(rep.set, rep.pairs, c.threshold);
  const idPairs = new Set(fm.map((x) => [x.a.split("/")[1], x.b.split("/")[1]].sort().join("~")));
  const bound = fmr.errors === 0 ? ` (no false match: 95 % bound about 3/N = ${pct(3 / fmr.trials, 4)})` : "";
  console.log(`| ${c.level} | ${c.threshold.toFixed(2)} | ${fmtRate(fmr, 4)}${bound} | ${pct(b.fmr[0], 4)}-${pct(b.fmr[1], 4)} | ${fmtRate(fnmr, 2)} | ${pct(b.fnmr[0], 2)}-${pct(b.fnmr[1], 2)} | ${idPairs.size} identity pairs |`);
}
for (const c of chosen) {
  const fm = impostorsAbove(rep.set, rep.pairs, c.threshold);
  console.log(`report-half impostor pairs at or above ${c.level} ${c.threshold.toFixed(2)} (highest 5): ${fm.slice(0, 5).map((x) => `${f3(x.score)} ${x.a} ~ ${x.b}`).join("; ") || "none"}`);
}

console.log("\n## Enrolment agreement (pairwise cosine of enrolment photos)");
console.log(`chosen: ${agreement.toFixed(2)} (1st percentile of calibration-half genuine pairs, rounded down to 0.01)`);
for (const a of [FACE_POLICY.enrolAgreement, agreement]) {
  const t = templateScores(rep.set, a);
  console.log(`agreement ${a.toFixed(2)}: genuine pairs below it: calibration half ${fmtRate(fnmrAt(cal.pairs.genuine, a), 2)}, report half ${fmtRate(fnmrAt(rep.pairs.genuine, a), 2)}; ` +
    `report-half 3-photo enrolments refused ${t.refused}/${t.candidates} (${pct(t.refused / t.candidates, 1)}); report-half impostor pairs that would agree ${fmtRate(fmrAt(rep.pairs.impostor, a), 3)}`);
}

// ---- Sanity check on the small shared verification set (the photos the old threshold was set on).
console.log("\n## Shared verification set (face-api.js + face_recognition, 14 identities): sanity check only");
const vIds = [...new Set(verification.map((i) => i.identity))].sort();
if (vIds.length > 1) {
  const vs = photoSet(verification, vIds);
  const vp = scorePairs(vs);
  console.log(`${vs.photos} photos, ${vs.failures.length} without a usable face (${vs.failures.join(", ") || "none"}); genuine pairs ${vp.genuine.length}, impostor pairs ${vp.impostor.length} (max impostor ${f3(vp.impostor[vp.impostor.length - 1]!)})`);
  for (const c of chosen) {
    const fmr = fmrAt(vp.impostor, c.threshold);
    const note = fmr.errors === 0 ? ` (no false match; with ${fmr.trials} pairs the 95 % bound is about 3/N = ${pct(3 / fmr.trials, 2)}: too few to support 1e-3 or 1e-4)` : "";
    console.log(`${c.level} ${c.threshold.toFixed(2)}: FMR ${fmtRate(fmr, 3)}${note}; FNMR ${fmtRate(fnmrAt(vp.genuine, c.threshold), 2)}`);
  }
} else console.log("not in this cache");

// ---- Pictures.
const markers = chosen.map((c) => ({ label: `${c.level} ${c.threshold.toFixed(2)}`, threshold: c.threshold }));
const suffix = given ? `-${cache.model}` : "";
const det = join(svgDir, `face-det${suffix}.svg`);
const hist = join(svgDir, `face-scores${suffix}.svg`);
// The levels as decided: the report half's template-vs-probe rates at the calibration half's thresholds.
const levelPoints = chosen.map((c) => ({
  label: `${c.level} ${c.threshold.toFixed(2)}`,
  fmr: fmrAt(repTpl.impostor, c.threshold).rate,
  fnmr: fnmrAt(repTpl.genuine, c.threshold).rate,
  colour: "#c0392b",
}));
writeFileSync(
  det,
  detSvg(
    `Face DET on LFW (${cache.model}), photo pairs unless stated`,
    [
      { label: `calibration half (${calIds.length} ids)`, colour: "#7f8c8d", genuine: cal.pairs.genuine, impostor: cal.pairs.impostor, similarity: true },
      { label: `report half (${repIds.length} ids)`, colour: "#2471a3", genuine: rep.pairs.genuine, impostor: rep.pairs.impostor, similarity: true },
      { label: `report half, ${ENROL}-photo template`, colour: "#c0392b", genuine: repTpl.genuine, impostor: repTpl.impostor, dashed: true, similarity: true },
    ],
    levelPoints,
    `Cosine similarity of the face embeddings; thresholds chosen on the calibration half, rates of the report half.\n` +
      `Circles: the levels on the report half's ${ENROL}-photo templates against one probe photo. Rates of 0 sit on the axis.\n` +
      `Made by: npx tsx bench/face-calibration.ts`,
    1e-7,
    1e-4,
  ),
);
writeFileSync(hist, histogramSvg(`Face scores, LFW report half (${cache.model})`, rep.pairs.genuine, rep.pairs.impostor, markers));
console.log(`\nwrote ${det} and ${hist}`);

// ---- Operating points as TypeScript, to copy into src/biometrics/face/operating-points.ts.
const rateTs = (r: Rate) => `{ rate: ${r.rate.toPrecision(4)}, ci95: [${r.ci95[0].toPrecision(4)}, ${r.ci95[1].toPrecision(4)}], errors: ${r.errors}, trials: ${r.trials} }`;
const protocol = `LFW deep-funneled, report half (${repIds.length} identities: odd indices of the sorted names; thresholds chosen on the other ${calIds.length}), template of ${ENROL} photos against one probe photo`;
console.log("\n## Operating points as TypeScript");
for (const c of chosen) {
  const r = reported[c.level]!;
  const p = reportedPairs[c.level]!;
  console.log(`  ${c.level}: {\n    decideOn: "similarity",\n    threshold: ${c.threshold.toFixed(2)},\n    // Photo against photo on the same people: FMR ${fmtRate(p.fmr, 4)}, FNMR ${fmtRate(p.fnmr, 2)}.\n    measured: {\n      fmr: ${rateTs(r.fmr)},\n      fnmr: ${rateTs(r.fnmr)},\n      protocol: "${protocol}",\n    },\n  },`);
}
const out = { model: cache.model, eerReport: eer(rep.pairs.genuine, rep.pairs.impostor).eer, chosen, reported, reportedPairs, agreement };
writeFileSync(cacheFile.replace(/\.json$/, "") + ".summary.json", JSON.stringify(out, null, 1));

