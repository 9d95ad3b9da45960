// Voice security levels: calibrates the `high` / `standard` thresholds on the cohort-normalised score and
// measures them on speakers they were not chosen on; draws docs/voice-det.svg. From the repository root:
//   npx tsx bench/voice-levels.ts            # ~1 min with the feature cache (/tmp/trustid-voice), ~3 min without
// Protocol (BENCHMARKS.md "Voice"): thresholds come from 5-fold speaker-disjoint cross-validation on the 251
// background speakers (bench/voice-scores.ts). Figures "CV held-out" use, for each fold, a threshold chosen on
// the OTHER folds' scores only (cross-fitting); the eval speakers are scored with the shipped configuration
// (projection, cohort and thresholds fitted on background only) and were never used for any choice.
import { writeFileSync } from "node:fs";
import { computeEer } from "../scripts/voice/metrics";
import { voiceBackground, evalClips } from "./voice-data";
import { cvTrials, evalTrials, LDA_PARAMS, shippedScoring, split, type EvalCondition, type VoiceTrial } from "./voice-scores";
import { count, reportByPerson, type PersonErrors } from "./by-person";
import { detSvg } from "./det-svg";
import { fmrAt, fmtRate, fnmrAt, measured, thresholdForFmr } from "./rates";
import { VOICE_COHORT_TOP_K, VOICE_SCORING } from "../src/biometrics/voice/cohort";

import { VOICE_LEVEL_RULES } from "./voice-level-rules";
type Level = keyof typeof VOICE_LEVEL_RULES;
const LEVELS = Object.keys(VOICE_LEVEL_RULES) as Level[];
const OLD_THRESHOLD = 0.4433; // trustid-voice-lda-v1's raw-cosine threshold, for comparison
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** Per-fold thresholds chosen on the other folds, errors counted on the fold itself. */
/** Per fold, the threshold the rule `fmr` gives on the other folds' impostor trials. */
function foldThresholds(trials: VoiceTrial[], fmr: number): Map<number, number> {
  const folds = [...new Set(trials.map((t) => t.fold))];
  return new Map(folds.map((k) => [k, thresholdForFmr(trials.filter((t) => t.fold !== k && !t.genuine).map((t) => t.normalised), fmr)]));
}

function crossFitted(trials: VoiceTrial[], fmr: number) {
  let fm = 0, fnm = 0, imp = 0, gen = 0;
  for (const [k, thr] of foldThresholds(trials, fmr)) {
    const { genuine, impostor } = split(trials.filter((t) => t.fold === k), "normalised");
    fm += fmrAt(impostor, thr);
    fnm += fnmrAt(genuine, thr);
    imp += impostor.length;
    gen += genuine.length;
  }
  return { fmr: measured(fm, imp), fnmr: measured(fnm, gen) };
}

/** The same cross-fitted decisions, counted per enrolled speaker (their own probes, and others' probes against them). */
function byPersonCrossFitted(trials: VoiceTrial[], fmr: number): PersonErrors[] {
  const rows = new Map<string, PersonErrors>();
  const thresholds = foldThresholds(trials, fmr);
  for (const t of trials) count(rows, `speaker ${t.enrol}`, t.genuine, t.normalised >= thresholds.get(t.fold)!);
  return [...rows.values()];
}

function atThreshold(trials: VoiceTrial[], key: "raw" | "normalised", thr: number) {
  const { genuine, impostor } = split(trials, key);
  return { fmr: measured(fmrAt(impostor, thr), impostor.length), fnmr: measured(fnmrAt(genuine, thr), genuine.length) };
}

async function main() {
  const data = await voiceBackground();
  const bg = data.bg;
  const clips = await evalClips();
  const cv = cvTrials(data, VOICE_COHORT_TOP_K);
  const cvRaw = split(cv, "raw");
  const cvNorm = split(cv, "normalised");
  console.log(`background CV: ${bg.length} speakers in 5 folds, ${cvNorm.genuine.length} genuine / ${cvNorm.impostor.length} impostor trials (3 s enrolment vs 3 s probe, clean and Opus)`);
  for (const [name, s] of [["raw cosine", cvRaw], [`decided score (${VOICE_SCORING})`, cvNorm]] as const) {
    const e = computeEer(s.genuine, s.impostor);
    const rows = [0.005, 0.01, 0.02].map((f) => {
      const t = thresholdForFmr(s.impostor, f);
      return `FMR ${pct(f)} -> FNMR ${pct(fnmrAt(s.genuine, t) / s.genuine.length)}`;
    });
    console.log(`  ${name}: EER ${pct(e.eer)}; ${rows.join("; ")}`);
  }
  // False matches at equal FNMR: the raw cosine's FNMR at its FMR-1 % threshold, matched by the normalised score.
  const tRaw = thresholdForFmr(cvRaw.impostor, 0.01);
  const fnmrRaw = fnmrAt(cvRaw.genuine, tRaw) / cvRaw.genuine.length;
  const sortedG = [...cvNorm.genuine].sort((a, b) => a - b);
  const tEq = sortedG[Math.floor(fnmrRaw * sortedG.length)]! - 1e-9;
  console.log(`  at equal FNMR ${pct(fnmrRaw)}: FMR raw ${pct(0.01)} vs normalised ${pct(fmrAt(cvNorm.impostor, tEq) / cvNorm.impostor.length)}`);

  // The shipped configuration: projection + cohort on all background speakers.
  const { proj, cohort } = shippedScoring(data, VOICE_COHORT_TOP_K);
  const thresholds = Object.fromEntries(LEVELS.map((l) => [l, Number(thresholdForFmr(cvNorm.impostor, VOICE_LEVEL_RULES[l]).toFixed(3))])) as Record<Level, number>;
  const evalSets: [string, EvalCondition, number][] = [
    ["eval, single clip (WAV)", "clean", 1],
    ["eval, single clip through Opus 24 kbps", "opus24", 1],
    ["eval, first 3 s of a clip", "first3", 1],
    ["eval, 2 clips averaged (WAV)", "clean", 2],
    ["eval, 3 clips averaged (WAV)", "clean", 3],
    ["eval, 3 clips averaged, Opus 24 kbps", "opus24", 3],
  ];
  const evalResults = new Map(evalSets.map(([name, cond, n]) => [name, evalTrials(clips, proj, cohort, cond, n)]));
  const points: Record<string, unknown> = {};
  for (const level of LEVELS) {
    const thr = thresholds[level];
    const held = crossFitted(cv, VOICE_LEVEL_RULES[level]);
    console.log(`\n${level}: threshold ${thr} on the normalised score (FMR ${pct(VOICE_LEVEL_RULES[level])} on all background CV impostors)`);
    console.log(`  CV held-out (cross-fitted, 251 speakers): FMR ${fmtRate(held.fmr)}  FNMR ${fmtRate(held.fnmr)}`);
    for (const [name, ts] of evalResults) {
      const r = atThreshold(ts, "normalised", thr);
      console.log(`  ${name}: FMR ${fmtRate(r.fmr)}  FNMR ${fmtRate(r.fnmr)}`);
    }
    const main = atThreshold(evalResults.get(evalSets[0]![0])!, "normalised", thr);
    points[level] = {
      decideOn: "similarity",
      threshold: thr,
      measured: { fmr: held.fmr, fnmr: held.fnmr, protocol: `background CV, 251 speakers, threshold from other folds (FMR ${pct(VOICE_LEVEL_RULES[level])} rule), 3 s vs 3 s clean+Opus` },
      eval: { fmr: main.fmr, fnmr: main.fnmr },
    };
  }
  // Enrolment quality: the same CV with only 2 s of enrolment speech, at the shipped thresholds.
  const cv2 = cvTrials(data, VOICE_COHORT_TOP_K, 5, LDA_PARAMS, "2s");
  for (const level of LEVELS) {
    const r = atThreshold(cv2, "normalised", thresholds[level]);
    console.log(`CV with a 2 s enrolment instead of 3 s, ${level}: FMR ${fmtRate(r.fmr)}  FNMR ${fmtRate(r.fnmr)}`);
  }
  console.log("\nfor comparison, raw cosine at the old threshold 0.4433:");
  for (const [name, ts] of evalResults) {
    const r = atThreshold(ts, "raw", OLD_THRESHOLD);
    console.log(`  ${name}: FMR ${fmtRate(r.fmr)}  FNMR ${fmtRate(r.fnmr)}`);
  }
  const evalSingle = split(evalResults.get(evalSets[0]![0])!, "normalised");
  const evalRaw = split(evalResults.get(evalSets[0]![0])!, "raw");
  console.log(`eval single clip EER: raw ${pct(computeEer(evalRaw.genuine, evalRaw.impostor).eer)}, normalised ${pct(computeEer(evalSingle.genuine, evalSingle.impostor).eer)}`);
  console.log(`\noperating points: ${JSON.stringify(points)}`);

  const evalTriple = split(evalResults.get(evalSets[4]![0])!, "normalised");
  const markers = LEVELS.map((l, i) => {
    const h = crossFitted(cv, VOICE_LEVEL_RULES[l]);
    return { label: `${l} (CV held-out)`, fmr: h.fmr.rate, fnmr: h.fnmr.rate, colour: ["#c00", "#06c"][i]! };
  });
  writeFileSync(
    "docs/voice-det.svg",
    detSvg(
      "Voice: DET, held-out speakers (npx tsx bench/voice-levels.ts)",
      [
        { label: "background CV, raw cosine", ...cvRaw, colour: "#999", similarity: true },
        { label: "background CV, PLDA + AS-norm", ...cvNorm, colour: "#000", similarity: true },
        { label: "eval 5 speakers, PLDA + AS-norm, 1 clip", ...evalSingle, colour: "#2a2", similarity: true },
        { label: "eval, 3 clips averaged (0 errors: off the axes)", ...evalTriple, colour: "#a5a", similarity: true },
      ],
      markers,
      `Background CV: 251 speakers, 5 speaker-disjoint folds, 3 s enrolment vs 3 s probe, clean and Opus (${cvNorm.genuine.length} genuine,\n` +
        `${cvNorm.impostor.length} impostor trials). Eval: 5 held-out speakers, 3-clip enrolments. Circles: the levels, thresholds cross-fitted.\n` +
        "Made by: npx tsx bench/voice-levels.ts",
      0.0001,
    ),
  );
  console.log("wrote docs/voice-det.svg");

  reportByPerson(
    "docs/voice-by-person.svg",
    "by speaker, background CV held out (cross-fitted)",
    "Voice (background CV, 251 held-out speakers): errors by speaker",
    LEVELS.map((l) => [l, byPersonCrossFitted(cv, VOICE_LEVEL_RULES[l])]),
    "5 speaker-disjoint folds, thresholds cross-fitted; 3 s enrolment vs 3 s probe. Left: the speaker's own 2 probes (clean and\n" +
      "through Opus), so a speaker is refused 0, 50 or 100 % of the time; right: the other 49 speakers of the fold x 2 probes.\n" +
      "Made by: npx tsx bench/voice-levels.ts",
  );
}

await main();
