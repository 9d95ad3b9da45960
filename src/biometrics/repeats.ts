import { cosine } from "./voice/projection";

// Repeated samples during an exam. A camera never delivers the same frame twice and a microphone never the same
// recording: sensor noise and the smallest movement change every capture. A frame or clip whose embedding is the
// same as one the student sent earlier in the exam is therefore a copy: a still picture looped through a virtual
// camera (its frames are identical pixels, so the browser's JPEGs are identical too), a clip sent again and again,
// a captured request replayed. Such a sample says nothing about who is there now, so monitoring raises
// `repeated_sample` instead of judging it (a black-box probe found a looped still picture accepted as the student
// for minutes, with the same similarity to 16 digits on every frame).
//
// What can and cannot be told (`npx tsx bench/repeats.ts`, BENCHMARKS.md "Repeated samples"): the face embedding is
// built to ignore small changes, so a live camera's next frame of a student sitting still (sensor noise of one grey
// level, a face moved by a pixel) comes within 0.0002 of the same embedding, as close as a copy re-encoded or given
// a little noise; any new voice recording moves the voice embedding a lot, but so does a loop cut at another point.
// So monitoring recognises exact copies only: the same decoded pixels or samples give the same embedding, bit for
// bit, and the student's object remembers a digest (SHA-256) of each frame's and clip's embedding for an hour, in
// its storage (a probe found memory alone forgotten whenever the object sat idle for a few seconds). A digest is not
// biometric data: it cannot be turned back into the embedding, it only says "this exact capture was seen". A
// picture altered to look like a new capture, a recording looped at another length than the clips, or one played
// into a microphone are not caught here.
// A frame or clip sent again within `resendGraceMs` of the first is a client's retry of a request whose answer it
// lost (docs: retry on 503 with Retry-After), not a copy: it is judged as usual. A loop is still caught from the
// first copy that comes later than that.

/**
 * Within one enrolment request (face_register's pictures, a voice enrolment's clips), two samples at least this
 * close are the same capture sent twice (bench/repeats.ts: copies with the same pixels or samples reach 1, two
 * live captures of one person's face at most 0.99999 for a still student, two utterances of one voice 0.96).
 */
export const REPEAT_COSINE = {
  face: 0.999999,
  voice: 0.995,
} as const;

export type RepeatModality = keyof typeof REPEAT_COSINE;

/**
 * Verification against the enrolment's own samples (handwriting references, keystroke training typings, which the
 * models keep): a sample closer to one of them than any new sample of a person comes is a copy of it, refused as
 * `repeated_sample` instead of being accepted as the best match there is (a black-box probe: exact and jittered
 * replays of enrolment signatures and typings were accepted every time, with better scores than fresh ones).
 * `npx tsx bench/replays.ts` (BENCHMARKS.md "Replayed enrolment samples").
 */
export const REPLAY_LIMITS = {
  /**
   * keystroke/model.ts closestTrainingTyping: refused under this. New typings of MEU-Mobile's 40 subjects come no
   * closer than 0.64 (0.45 timings only); a copy with every timing moved by up to 5 ms stays under 0.15.
   */
  keystrokeDistance: 0.15,
  /**
   * handwriting/model.ts closestReference: refused under this. New signatures of MCYT writers 001-020 come no closer
   * than 0.75; a reference with noise of 1 % of its size on every point, or resampled, stays under 0.3.
   */
  handwritingClosestReference: 0.3,
} as const;

/** How long a frame's or clip's digest is remembered, and the grace of a retry. */
export const REPEAT_MEMORY = { maxAgeMs: 60 * 60_000, resendGraceMs: 30_000 } as const;

/** Where the digests live: the student's Durable Object's storage (templates/store.ts), or memory in tests. */
export interface SampleDigests {
  /** When `digest` was first seen under `key` no earlier than `since`, or null when not; it is recorded as seen at `now` if it was not. */
  firstSeen(key: string, digest: string, now: number, since: number): number | null;
  /** Forgets every digest, or those whose key starts with `prefix`. */
  forget(prefix?: string): void;
}

/** A student's monitoring frames and clips per exam and modality, remembered as digests (above). */
export class RecentSamples {
  constructor(private readonly digests: SampleDigests) {}

  /**
   * Milliseconds since this exact frame or clip was first sent in the exam, or null when it is new (or its first
   * sending is within `resendGraceMs`: a retry); either way it is remembered.
   */
  async check(modality: RepeatModality, examId: number, now: number, embedding: ArrayLike<number>): Promise<number | null> {
    return this.checkDigest(modality, examId, now, await digestOf(embedding));
  }

  /** As check, for a sample whose digest the caller already has (digestOf). */
  checkDigest(modality: RepeatModality, examId: number, now: number, digest: string): number | null {
    const first = this.digests.firstSeen(`${modality}:${examId}`, digest, now, now - REPEAT_MEMORY.maxAgeMs);
    return first !== null && now - first >= REPEAT_MEMORY.resendGraceMs ? now - first : null;
  }

  /** Forgets one modality's samples (its template was deleted) or all of them. */
  clear(modality?: RepeatModality) {
    this.digests.forget(modality ? `${modality}:` : undefined);
  }
}

/** SHA-256 of the embedding as float32 (hex, 128 bits): the same capture gives the same digest, bit for bit. */
export async function digestOf(embedding: ArrayLike<number>): Promise<string> {
  const bytes = new Uint8Array(Float32Array.from(embedding).buffer);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Digests in memory (tests). */
export class MemoryDigests implements SampleDigests {
  private readonly seen = new Map<string, number>();
  firstSeen(key: string, digest: string, now: number, since: number): number | null {
    const k = `${key}\u0000${digest}`;
    const at = this.seen.get(k);
    if (at !== undefined && at >= since && at <= now) return at;
    this.seen.set(k, now);
    return null;
  }
  forget(prefix?: string) {
    for (const k of [...this.seen.keys()]) if (!prefix || k.startsWith(prefix)) this.seen.delete(k);
  }
}

/** Whether two samples of one enrolment request are the same capture (REPEAT_COSINE of their modality). */
export function sameCapture(a: ArrayLike<number>, b: ArrayLike<number>, modality: RepeatModality): boolean {
  return cosine(Float32Array.from(a), Float32Array.from(b)) >= REPEAT_COSINE[modality];
}

/** The first two of `samples` that are the same capture, by index, or null. */
export function repeatedPair(samples: readonly ArrayLike<number>[], modality: RepeatModality): [number, number] | null {
  for (let i = 0; i < samples.length; i++) for (let j = i + 1; j < samples.length; j++) if (sameCapture(samples[i]!, samples[j]!, modality)) return [i, j];
  return null;
}
