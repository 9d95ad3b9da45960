// Voice trials for the level and fusion benchmarks, from cached statistics (bench/voice-data.ts) and the LDA
// projection the training script fits (scripts/voice/lda.ts). Two sources, never mixed:
// - cvTrials: 5-fold speaker-disjoint cross-validation on ../shared/data/voice/background. For fold k the
//   projection, the PLDA AND the score-normalisation cohort are fitted on the other folds' speakers only (projection
//   and PLDA also on those speakers' speed-perturbed copies, as the shipped model is); the fold's
//   speakers enrol on the first 3 s of their utterance and are probed with the last 3 s (clean, and after an
//   Opus round trip). 251 speakers.
// - evalTrials: the shipped configuration (projection, PLDA and cohort from all background speakers) on the 5
//   held-out eval speakers, with the protocol: 3 enrolment clips, the speaker's other 7 clips as genuine
//   probes, every clip of the 4 other speakers as impostor probes; or probes of 2-3 clips averaged.
import { projectStats, cosine, type LinearProjection } from "../src/biometrics/voice/projection";
import { meanEmbedding } from "../src/biometrics/voice/voice";
import { cohortStats, scoreVoice, type VoiceCohort } from "../src/biometrics/voice/score";
import { trainProjection, type Params, type Utt } from "../scripts/voice/lda";
import { fitVoicePlda } from "../scripts/voice/plda";
import type { EvalClip, VoiceBackground } from "./voice-data";

export const LDA_PARAMS: Params = { segFrames: 200, dim: 60, shrink: 0.05 };

export interface VoiceTrial {
  genuine: boolean;
  raw: number;
  normalised: number;
  /** Enrolled speaker and probe speaker (ids of the data set), probe clip tag. */
  enrol: string;
  probe: string;
  probeTag: string;
  fold: number;
  condition: string;
}

/** The scoring the service ships (score.ts): PLDA fitted on `utts` and `copies` (their speed-perturbed copies),
 * AS-norm against the embeddings of `utts` (real speakers only). */
export function makeCohort(utts: Utt[], proj: LinearProjection, topK: number, copies: Utt[] = [], modelId = "bench"): VoiceCohort {
  return { modelId, dim: proj.outputDim, topK, embeddings: utts.map((u) => projectStats(u.full, proj)), plda: fitVoicePlda([...utts, ...copies], proj) };
}

/** The shipped configuration, refitted exactly as scripts/voice/train.ts fits it: projection and PLDA on every
 * background speaker and copy, cohort of the real speakers. */
export function shippedScoring(data: VoiceBackground, topK: number, params = LDA_PARAMS) {
  const copies = data.copies.flat();
  const proj = trainProjection([...data.bg, ...copies], params);
  return { proj, cohort: makeCohort(data.bg, proj, topK, copies) };
}

/** `enrolOn`: "3s" = the first half of the utterance (the protocol of every figure), "2s" = its first 2 s only.
 * For fold k the copies of the training speakers join the training set (scripts/voice/train.ts does the same). */
export function cvTrials(data: VoiceBackground, topK: number, folds = 5, params = LDA_PARAMS, enrolOn: "3s" | "2s" = "3s"): VoiceTrial[] {
  const { bg } = data;
  const out: VoiceTrial[] = [];
  for (let k = 0; k < folds; k++) {
    const train = bg.filter((_, i) => i % folds !== k);
    const copies = data.copies.flatMap((c) => c.filter((_, i) => i % folds !== k));
    const test = bg.filter((_, i) => i % folds === k);
    const proj = trainProjection([...train, ...copies], params);
    const cohort = makeCohort(train, proj, topK, copies);
    // segments[0] is the first 2 s of the clean audio (scripts/voice/lda.ts), inside the first half; the 3
    // utterances shorter than 2 s have no segment and keep their first half (under 1 s) as enrolment.
    const enrol = test.map((u) => projectStats(enrolOn === "3s" ? u.halves[0] : u.segments[0] ?? u.halves[0], proj));
    const enrolStats = enrol.map((e) => cohortStats(e, cohort));
    for (const [condition, second] of [["clean", (u: Utt) => u.halves[1]], ["opus", (u: Utt) => u.codecHalf]] as const) {
      const probes = test.map((u) => projectStats(second(u), proj));
      for (let i = 0; i < test.length; i++) {
        for (let j = 0; j < test.length; j++) {
          const s = scoreVoice(enrol[i]!, probes[j]!, cohort, enrolStats[i]);
          out.push({ genuine: i === j, ...s, enrol: test[i]!.speaker, probe: test[j]!.speaker, probeTag: "last3s", fold: k, condition });
        }
      }
    }
  }
  return out;
}

export type EvalCondition = "clean" | "opus24" | "first3";

/**
 * The protocol on the eval speakers. Each speaker enrols 10 times (clips r, r+1, r+2 mod 10). Probes are
 * `probeClips` clips averaged (1 = single clip): genuine probes are disjoint groups of the 7 clips not enrolled,
 * impostor probes disjoint groups of each other speaker's 10 clips. Enrolment is always clean (WAV).
 */
export function evalTrials(clips: EvalClip[], proj: LinearProjection, cohort: VoiceCohort, condition: EvalCondition, probeClips = 1): VoiceTrial[] {
  const speakers = [...new Set(clips.map((c) => c.speaker))];
  const emb = new Map(clips.map((c) => [c, { clean: projectStats(c.clean, proj), probe: projectStats(c[condition], proj) }]));
  const groups = (cs: EvalClip[]) => {
    const g: EvalClip[][] = [];
    for (let i = 0; i + probeClips <= cs.length; i += probeClips) g.push(cs.slice(i, i + probeClips));
    return g;
  };
  const out: VoiceTrial[] = [];
  for (const s of speakers) {
    const own = clips.filter((c) => c.speaker === s);
    for (let r = 0; r < own.length; r++) {
      const enrolled = [0, 1, 2].map((o) => own[(r + o) % own.length]!);
      const template = meanEmbedding(enrolled.map((c) => emb.get(c)!.clean));
      const tStats = cohortStats(template, cohort);
      const probeSets = [
        ...groups(own.filter((c) => !enrolled.includes(c))),
        ...speakers.filter((o) => o !== s).flatMap((o) => groups(clips.filter((c) => c.speaker === o))),
      ];
      for (const group of probeSets) {
        const probe = meanEmbedding(group.map((c) => emb.get(c)!.probe));
        const score = scoreVoice(template, probe, cohort, tStats);
        const p = group[0]!.speaker;
        out.push({ genuine: p === s, ...score, enrol: s, probe: p, probeTag: group.map((c) => c.file).join("+"), fold: r, condition });
      }
    }
  }
  return out;
}

export const split = (ts: VoiceTrial[], key: "raw" | "normalised") => ({
  genuine: ts.filter((t) => t.genuine).map((t) => t[key]),
  impostor: ts.filter((t) => !t.genuine).map((t) => t[key]),
});

export { cosine };
