// Voice monitoring decides on a window of the student's recent clips, not on one clip alone (issue 16 part 2).
// A 3 s clip says little about a speaker: in the background CV about one genuine 3 s clip in ten fails `high`,
// and during monitoring each failure is a voice-mismatch alert for the instructor. The mean of the last few clips'
// embeddings is a longer probe and fails far less often. But an average also dilutes a takeover, so two guards:
// an earlier clip joins the mean only if it sounds like the same speaker as this clip (`sameSpeakerCosine`), and a
// clip whose own score is below `floor` (a score only 2 % of genuine 3 s clips fall under) is a mismatch whatever
// came before.
// Chosen and measured by `npx tsx bench/voice-monitoring-window.ts` (BENCHMARKS.md "Voice monitoring on a window
// of clips"). Fusion (monitoring_face_oral) still decides on single clips: its calibration is per clip.
import type { SecurityLevel } from "../security-level";
import { averageProbes, decideVoice, type VoiceDecision } from "./decide";
import { voiceCohort } from "./cohort";
import { cosine } from "./projection";
import type { VoiceCohort } from "./score";

export const VOICE_WINDOW = {
  /** Clips in a window, the current one included. */
  clips: 3,
  /** Older clips leave the window: the student may have stopped speaking, or someone else may have started. */
  maxAgeMs: 3 * 60_000,
  /**
   * The cohort-normalised score (score.ts) under which one clip alone is a mismatch: the 2nd percentile of the
   * genuine 3 s-probe scores of the 5-fold background CV (trustid-voice-lda-v2, plda+asnorm25). In that CV 89 %
   * of impostor clips score lower, so most takeovers are caught at their first clip.
   */
  floor: -1.141,
  /**
   * An earlier clip is averaged in only when the cosine of its embedding and this clip's is at least this: the
   * 10th percentile of the cosines of two 3 s clips of one speaker in the background CV (two speakers' clips pass
   * 1.79 % of the time). A new voice is then decided on its own, as before windows.
   */
  sameSpeakerCosine: 0.427,
} as const;

export interface WindowDecision extends VoiceDecision {
  /** The clip's own normalised score (`normalised` is the window mean's). */
  clipScore: number;
  /** Clips in the mean, this one included (earlier clips of another voice are left out). */
  windowClips: number;
  /** True when the clip's own score was under the floor (a mismatch whatever the window says). */
  belowFloor: boolean;
}

/** The decision for `clip` given the same exam's `earlier` clips (oldest first, already within the window's age). */
export function decideVoiceWindow(
  template: ArrayLike<number>,
  clip: Float32Array,
  earlier: Float32Array[],
  level: SecurityLevel,
  cohort: VoiceCohort = voiceCohort(),
): WindowDecision {
  const own = decideVoice(template, clip, level, cohort);
  const sameSpeaker = earlier.slice(-(VOICE_WINDOW.clips - 1)).filter((e) => cosine(e, clip) >= VOICE_WINDOW.sameSpeakerCosine);
  const window = [...sameSpeaker, clip];
  const mean = window.length === 1 ? own : decideVoice(template, averageProbes(window), level, cohort);
  const belowFloor = own.normalised < VOICE_WINDOW.floor;
  return { ...mean, isMatch: mean.isMatch && !belowFloor, clipScore: own.normalised, windowClips: window.length, belowFloor };
}

type Entry = { at: number; version: number; embedding: Float32Array };

/** The same recording's embedding, bit for bit (the model is deterministic). */
const sameEmbedding = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * A student's recent monitoring clips per exam, held in the student's Durable Object's memory only: embeddings of
 * probes are biometric data, so they are never written to storage, they leave after `maxAgeMs`, and an object that
 * is evicted from memory simply starts its windows again (single-clip decisions until new clips arrive).
 */
export class RecentVoiceClips {
  private readonly byExam = new Map<number, Entry[]>();

  /**
   * The exam's clips still in the window for a template of this version, oldest first, other than `clip` itself: the
   * same recording resent (a client's retry, several at once) is one clip, not several (a probe's five concurrent
   * resends made the next clip's window count the one clip three times).
   */
  earlier(examId: number, version: number, now: number, clip?: Float32Array): Float32Array[] {
    const kept = (this.byExam.get(examId) ?? []).filter((e) => e.version === version && now - e.at <= VOICE_WINDOW.maxAgeMs && e.at <= now);
    return kept.map((e) => e.embedding).filter((e) => !clip || !sameEmbedding(e, clip));
  }

  add(examId: number, version: number, now: number, embedding: Float32Array) {
    const kept = (this.byExam.get(examId) ?? []).filter((e) => e.version === version && now - e.at <= VOICE_WINDOW.maxAgeMs);
    if (kept.some((e) => sameEmbedding(e.embedding, embedding))) return;
    kept.push({ at: now, version, embedding });
    this.byExam.set(examId, kept.slice(-(VOICE_WINDOW.clips - 1)));
    // Exams whose clips have all aged out are dropped, so the map cannot grow with a student's history.
    for (const [id, entries] of this.byExam) if (entries.every((e) => now - e.at > VOICE_WINDOW.maxAgeMs)) this.byExam.delete(id);
  }

  clear() {
    this.byExam.clear();
  }
}
