// Repeated samples during an exam. A camera never delivers the same frame twice and a microphone never the same
// recording: sensor noise and the smallest movement change every capture. A frame or clip whose embedding is the
// same as one the student sent earlier in the exam is therefore a copy: a still picture looped through a virtual
// camera (its frames are identical pixels, so the browser's JPEGs are identical too), a recording played on a loop,
// a captured request sent again. Such a sample says nothing about who is there now, so monitoring raises
// `repeated_sample` instead of judging it (a black-box probe found a looped still picture accepted as the student
// for minutes, with the same similarity to 16 digits on every frame).
//
// What the thresholds can and cannot tell (`npx tsx bench/repeats.ts`, BENCHMARKS.md "Repeated samples"):
// - Face: the embedding is built to ignore small changes, so a live camera's next frame of a student sitting still
//   (sensor noise of one grey level, a face moved by a pixel) comes within 0.0002 of the same embedding, as close as
//   a copy re-encoded or given a little noise. Only a copy with the same pixels is told apart: cosine 1 to float
//   precision. A picture altered to look like a new capture is not caught here (that needs a challenge such as
//   "turn your head", which this service does not have).
// - Voice: any new recording, even the same speech with faint microphone noise, moves the embedding far more
//   (cosine <= 0.986 in the eval clips; two utterances <= 0.96); the same samples, looped or not, stay >= 0.996.
// A frame or clip sent again within `resendGraceMs` of the first is a client's retry of a request whose answer it
// lost (docs: retry on 503 with Retry-After), not a copy: it is judged as usual. A loop is still caught from the
// first copy that comes later than that.

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

/** How many earlier samples of one exam and modality are remembered, for how long, and the grace of a retry. */
export const REPEAT_MEMORY = { samples: 20, maxAgeMs: 60 * 60_000, resendGraceMs: 30_000 } as const;

type Entry = { at: number; embedding: Float32Array };

/**
 * A student's recent monitoring embeddings per exam and modality, held in the student's Durable Object's memory
 * only (like voice/window.ts): embeddings of probes are biometric data, so they are never written to storage, they
 * leave after `maxAgeMs` or when the template is deleted, and an object evicted from memory starts afresh (a looped
 * sample is then caught from its second copy on).
 */
export class RecentSamples {
  private readonly byKey = new Map<string, Entry[]>();

  /**
   * Milliseconds since the earliest remembered sample of this exam and modality that `embedding` repeats, or null
   * when it repeats none (or only samples of the last `resendGraceMs`: a retry); either way the sample is remembered.
   */
  check(modality: RepeatModality, examId: number, now: number, embedding: ArrayLike<number>): number | null {
    const key = `${modality}:${examId}`;
    const kept = (this.byKey.get(key) ?? []).filter((e) => now - e.at <= REPEAT_MEMORY.maxAgeMs && e.at <= now);
    const sample = Float32Array.from(embedding);
    const repeated = kept.find((e) => cosine(e.embedding, sample) >= REPEAT_COSINE[modality]);
    kept.push({ at: now, embedding: sample });
    this.byKey.set(key, kept.slice(-REPEAT_MEMORY.samples));
    // Keys whose samples have all aged out are dropped, so the map cannot grow with a student's history.
    for (const [k, entries] of this.byKey) if (entries.every((e) => now - e.at > REPEAT_MEMORY.maxAgeMs)) this.byKey.delete(k);
    return repeated && now - repeated.at >= REPEAT_MEMORY.resendGraceMs ? now - repeated.at : null;
  }

  /** Forgets one modality's samples (its template was deleted) or all of them. */
  clear(modality?: RepeatModality) {
    for (const k of [...this.byKey.keys()]) if (!modality || k.startsWith(`${modality}:`)) this.byKey.delete(k);
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -1;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : -1;
}

/** The first two of `samples` that are copies of each other (cosine >= `threshold`), by index, or null. */
export function repeatedPair(samples: readonly ArrayLike<number>[], threshold: number): [number, number] | null {
  const vectors = samples.map((s) => Float32Array.from(s));
  for (let i = 0; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++) if (cosine(vectors[i]!, vectors[j]!) >= threshold) return [i, j];
  return null;
}
