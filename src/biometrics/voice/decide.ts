// The voice decision at a security level: what the StudentTemplates Durable Object (verifyVoice) and the
// monitoring service call instead of comparing a raw cosine with the model's single threshold.
//
//   const d = decideVoice(template, probe, level);   // { raw, normalised, threshold, isMatch }
//
// Pure: the cohort is the one shipped with the model (cohort.ts), the threshold the level's operating point.
import { accepts, type SecurityLevel } from "../security-level";
import { voiceCohort } from "./cohort";
import { VOICE_OPERATING_POINTS } from "./operating-points";
import { scoreVoice, type VoiceCohort } from "./score";
import { l2normalize } from "./projection";

export interface VoiceDecision {
  raw: number;
  normalised: number;
  /** The level's threshold on `normalised`. */
  threshold: number;
  isMatch: boolean;
}

export function decideVoice(template: ArrayLike<number>, probe: ArrayLike<number>, level: SecurityLevel, cohort: VoiceCohort = voiceCohort()): VoiceDecision {
  const point = VOICE_OPERATING_POINTS[level];
  const s = scoreVoice(template, probe, cohort);
  return { ...s, threshold: point.threshold, isMatch: accepts(point, s.normalised) };
}

/**
 * One probe from several clip embeddings of the same session (their L2-normalised mean). Averaging 2-3 clips
 * cut both error rates on the eval speakers (BENCHMARKS.md "Voice"); monitoring may score the mean of the
 * latest clips instead of the last one alone.
 */
export function averageProbes(embeddings: ArrayLike<number>[]): Float32Array {
  const first = embeddings[0];
  if (!first) throw new RangeError("no embeddings");
  const sum = new Float32Array(first.length);
  for (const e of embeddings) {
    if (e.length !== sum.length) throw new RangeError("embeddings of different sizes");
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + e[i]!;
  }
  return l2normalize(sum);
}
