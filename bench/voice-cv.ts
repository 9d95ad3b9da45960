// The speaker-disjoint cross-validation the voice scoring comparisons share (bench/voice-plda.ts, bench/voice-pitch.ts):
// 5 folds of the 251 background speakers, 3 s enrolment vs 3 s probe (clean, and the Opus half), projection, PLDA and
// cohort fitted on the other folds; thresholds cross-fitted; a paired sign test between two scorings.
import { trainProjection, type Params, type Utt } from "../scripts/voice/lda";
import { projectStats, type LinearProjection } from "../src/biometrics/voice/projection";
import { cohortStats, scoreVoice, type VoiceCohort, type VoicePlda } from "../src/biometrics/voice/score";
import { measured, thresholdForFmr } from "./rates";

export interface Trial { genuine: boolean; fold: number; raw: number; norm: number }

/**
 * The fold of each of `n` speakers. "mod" (speaker i in fold i % 5, as every other voice bench), "blocks" (contiguous
 * fifths) or "shuffle" (a fixed pseudo-random permutation): a gain that only shows on one partition is noise.
 */
export function foldOf(n: number, split: string): number[] {
  if (split === "blocks") return Array.from({ length: n }, (_, i) => Math.floor((i * 5) / n));
  if (split === "shuffle") {
    const key = (i: number) => ((i * 2654435761 + 1) >>> 0) % 1009; // Knuth's multiplicative hash
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(a) - key(b));
    const f = new Array<number>(n);
    order.forEach((spk, pos) => (f[spk] = pos % 5));
    return f;
  }
  return Array.from({ length: n }, (_, i) => i % 5);
}

/**
 * Every genuine and impostor trial of the CV. `copies`: speed-perturbed copies of the background speakers (one list
 * per rate, in speaker order), extra training speakers for the projection and the PLDA (not the cohort), in the
 * training folds of their source speaker only. `plda`: the PLDA fitted on the training speakers, or none (cosine).
 */
export function cvTrials(
  bg: Utt[],
  copies: Utt[][],
  lda: Params,
  plda: (train: Utt[], proj: LinearProjection) => VoicePlda | undefined,
  split: string,
): Trial[] {
  const out: Trial[] = [];
  const fold = foldOf(bg.length, split);
  for (let k = 0; k < 5; k++) {
    const train = bg.filter((_, i) => fold[i] !== k), test = bg.filter((_, i) => fold[i] === k);
    const extra = copies.flatMap((c) => c.filter((_, i) => fold[i] !== k));
    const proj = trainProjection([...train, ...extra], lda);
    const fitted = plda([...train, ...extra], proj);
    const cohort: VoiceCohort = { modelId: "bench", dim: proj.outputDim, topK: 25, embeddings: train.map((u) => projectStats(u.full, proj)), ...(fitted ? { plda: fitted } : {}) };
    const enrol = test.map((u) => projectStats(u.halves[0], proj));
    const es = enrol.map((e) => cohortStats(e, cohort));
    for (const second of [(u: Utt) => u.halves[1], (u: Utt) => u.codecHalf]) {
      const probes = test.map((u) => projectStats(second(u), proj));
      for (let i = 0; i < test.length; i++) {
        for (let j = 0; j < test.length; j++) {
          const s = scoreVoice(enrol[i]!, probes[j]!, cohort, es[i]);
          out.push({ genuine: i === j, fold: k, raw: s.raw, norm: s.normalised });
        }
      }
    }
  }
  return out;
}

/** Per trial: accepted at a threshold chosen on the other folds' impostors for FMR `rule`. */
export function crossFitted(ts: Trial[], rule: number): boolean[] {
  const thr = [0, 1, 2, 3, 4].map((k) => thresholdForFmr(ts.filter((t) => t.fold !== k && !t.genuine).map((t) => t.norm), rule));
  return ts.map((t) => t.norm >= thr[t.fold]!);
}

/** Exact two-sided sign test on the discordant pairs (McNemar). */
export function mcnemar(b: number, c: number): number {
  const n = b + c;
  let p = 0;
  for (let i = 0; i <= Math.min(b, c); i++) {
    let lc = 0;
    for (let j = 1; j <= i; j++) lc += Math.log((n - i + j) / j);
    p += Math.exp(lc - n * Math.LN2);
  }
  return Math.min(1, 2 * p);
}

/**
 * A scoring's cross-fitted errors at FMR `rule`, paired with a reference scoring of the same trials (same order):
 * the genuine trials only the reference rejects (`onlyBase`), only this one rejects (`onlyThis`), and their sign test.
 */
export function atRule(ts: Trial[], base: Trial[], rule: number) {
  const acc = crossFitted(ts, rule);
  const accBase = crossFitted(base, rule);
  const genuine = ts.filter((t) => t.genuine).length;
  const fm = ts.filter((t, i) => !t.genuine && acc[i]).length;
  const fnm = ts.filter((t, i) => t.genuine && !acc[i]).length;
  let onlyBase = 0, onlyThis = 0;
  ts.forEach((t, i) => {
    if (!t.genuine) return;
    if (!accBase[i] && acc[i]) onlyBase++;
    if (accBase[i] && !acc[i]) onlyThis++;
  });
  return { fmr: measured(fm, ts.length - genuine), fnmr: measured(fnm, genuine), onlyBase, onlyThis, p: mcnemar(onlyBase, onlyThis) };
}
