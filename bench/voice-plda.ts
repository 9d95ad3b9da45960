// Issue 16 part 2: does PLDA scoring (scripts/voice/plda.ts) beat the shipped cosine at the `high` operating
// point? Same protocol as bench/voice-levels.ts (5-fold speaker-disjoint CV on the 251 background speakers,
// 3 s enrolment vs 3 s probe, clean and Opus; LDA, PLDA and cohort fitted on the other folds), thresholds
// cross-fitted (chosen on the other folds' impostors), and a paired test against the cosine scoring it replaced.
//   npx tsx bench/voice-plda.ts                        # ~1 min with the feature cache (/tmp/trustid-voice)
//   VOICE_CV_SPLIT=blocks npx tsx bench/voice-plda.ts  # the same on other speaker partitions (also "shuffle")
//   VOICE_VARIANTS=shipped,speed npx tsx bench/voice-plda.ts   # only some variants (the first, the baseline, always runs)
// The speed-perturbed variants need their copies' features once (~2-3 min each rate, cached like the rest).
import { type Params, type Utt } from "../scripts/voice/lda";
import { fitPlda, fitVoicePlda } from "../scripts/voice/plda";
import { computeEer } from "../scripts/voice/metrics";
import { projectStats, type LinearProjection } from "../src/biometrics/voice/projection";
import { scoreVoice, type VoiceCohort, type VoicePlda } from "../src/biometrics/voice/score";
import { backgroundUtts } from "./voice-data";
import { fmtRate } from "./rates";
import { atRule, cvTrials, type Trial } from "./voice-cv";
import { VOICE_LEVEL_RULES } from "./voice-level-rules";

interface Variant {
  name: string; lda: Params; plda: "none" | "segments" | "shipped";
  /** Speed-perturbed copies of the training folds' speakers as extra training speakers (LDA and PLDA; not the cohort). */
  speeds?: number[];
}

/** The PLDA of a variant, fitted on the training speakers only. */
function plda(train: Utt[], proj: LinearProjection, kind: Variant["plda"]): VoicePlda | undefined {
  if (kind === "none") return undefined;
  if (kind === "shipped") return fitVoicePlda(train, proj);
  const p = fitPlda(train.map((u) => u.segments.map((x) => projectStats(x, proj))));
  return { mean: Float32Array.from(p.mean), transform: Float32Array.from(p.transform), psi: Float32Array.from(p.psi) };
}

// VOICE_CV_SPLIT: the speaker partition into folds (bench/voice-cv.ts foldOf: mod, blocks or shuffle).
const SPLIT = process.env.VOICE_CV_SPLIT ?? "mod";

const cv = (bg: Utt[], v: Variant, perturbed: Map<number, Utt[]>): Trial[] =>
  cvTrials(bg, (v.speeds ?? []).map((r) => perturbed.get(r)!), v.lda, (train, proj) => plda(train, proj, v.plda), SPLIT);

const LDA60: Params = { segFrames: 200, dim: 60, shrink: 0.05 };
const VARIANTS: Variant[] = [
  { name: "cosine (before)", lda: LDA60, plda: "none" },
  { name: "PLDA, LDA 60, 2 s segments only", lda: LDA60, plda: "segments" },
  { name: "PLDA, LDA 60, segments + 3 s halves (shipped)", lda: LDA60, plda: "shipped" },
  { name: "PLDA, LDA 80, segments + 3 s halves", lda: { ...LDA60, dim: 80 }, plda: "shipped" },
  { name: "PLDA, LDA 100, segments + 3 s halves", lda: { ...LDA60, dim: 100 }, plda: "shipped" },
  { name: "PLDA, LDA 120, segments + 3 s halves", lda: { ...LDA60, dim: 120 }, plda: "shipped" },
  { name: "PLDA, LDA 60, + speed-perturbed speakers 0.91x / 1.11x", lda: LDA60, plda: "shipped", speeds: [17600, 14400] },
  { name: "PLDA, LDA 60, + speed-perturbed speakers 0.91x / 0.95x / 1.05x / 1.11x", lda: LDA60, plda: "shipped", speeds: [17600, 16800, 15200, 14400] },
  { name: "PLDA, LDA 80, + speed-perturbed speakers 0.91x / 1.11x", lda: { ...LDA60, dim: 80 }, plda: "shipped", speeds: [17600, 14400] },
  { name: "PLDA, LDA 60, + speed-perturbed speakers 0.87x / 1.18x", lda: LDA60, plda: "shipped", speeds: [18400, 13600] },
  { name: "PLDA, LDA 60, + speed-perturbed speakers 0.87x / 0.91x / 1.11x / 1.18x", lda: LDA60, plda: "shipped", speeds: [18400, 17600, 14400, 13600] },
];

const bg = await backgroundUtts();
const ONLY = process.env.VOICE_VARIANTS; // e.g. "cosine,shipped,speed": variants whose name contains one of these
const chosen = VARIANTS.filter((v, i) => i === 0 || !ONLY || ONLY.split(",").some((w) => v.name.includes(w)));
const perturbed = new Map<number, Utt[]>();
for (const r of new Set(chosen.flatMap((v) => v.speeds ?? []))) perturbed.set(r, await backgroundUtts(200, r));
console.log(`CV partition: ${SPLIT}`);
const results = chosen.map((v) => ({ v, ts: cv(bg, v, perturbed) }));
// The paired comparison's reference: the first variant (the cosine), or the first whose name contains VOICE_BASE.
const base = results.find((r) => process.env.VOICE_BASE && r.v.name.includes(process.env.VOICE_BASE)) ?? results[0]!;
console.log(`paired comparisons against: ${base.v.name}`);
for (const { v, ts } of results) {
  const g = ts.filter((t) => t.genuine), im = ts.filter((t) => !t.genuine);
  const eer = (key: "raw" | "norm") => (100 * computeEer(g.map((t) => t[key]), im.map((t) => t[key])).eer).toFixed(2);
  console.log(`\n${v.name}: EER of the cosine ${eer("raw")} %, of the decided (normalised) score ${eer("norm")} %`);
  for (const [level, rule] of Object.entries(VOICE_LEVEL_RULES)) {
    const r = atRule(ts, base.ts, rule);
    console.log(`  ${level} (FMR ${100 * rule} % rule, cross-fitted): FMR ${fmtRate(r.fmr)}  FNMR ${fmtRate(r.fnmr)}` +
      (v === base.v ? "" : `; genuine rejected only by the reference ${r.onlyBase}, only by this ${r.onlyThis}, McNemar p = ${r.p.toFixed(3)}`));
  }
}

// Cost of the shipped decision in the API Worker (decide.ts), PLDA against the cosine it replaced. The first
// decision of an isolate also parses the scoring file and maps the cohort into the PLDA space (once).
{
  const { performance } = await import("node:perf_hooks");
  const { voiceCohort } = await import("../src/biometrics/voice/cohort");
  const { decideVoice } = await import("../src/biometrics/voice/decide");
  let t0 = performance.now();
  const shipped = voiceCohort();
  const [t, p] = [shipped.embeddings[3]!, shipped.embeddings[7]!];
  decideVoice(t, p, "high");
  console.log(`\nfirst decision of an isolate (parse + cohort into PLDA space): ${(performance.now() - t0).toFixed(1)} ms`);
  const cosineOnly: VoiceCohort = { ...shipped, plda: undefined };
  for (const [name, f] of [["decideVoice (PLDA + AS-norm)", () => decideVoice(t, p, "high")], ["cosine + AS-norm (before)", () => scoreVoice(t, p, cosineOnly)]] as const) {
    const ms: number[] = [];
    for (let i = 0; i < 2000; i++) (t0 = performance.now()), f(), ms.push(performance.now() - t0);
    ms.sort((a, b) => a - b);
    console.log(`${name}: median ${ms[1000]!.toFixed(3)} ms per decision`);
  }
}
