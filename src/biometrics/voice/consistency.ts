// Enrolment consistency: the clips of one voice enrolment must sound like one speaker.
//
// Why: the template is the mean of the enrolment embeddings. A clip of someone else in the set (a mix-up, or a
// second person enrolling alongside the student) would pull the template between two voices, so that both might
// later pass verification. Every pair of clips must therefore score at least the model's consistency threshold
// (chosen on background speakers by scripts/train-voice.mjs; lower than the verification threshold, because
// refusing a genuine enrolment costs the student a retry while a different speaker usually scores far below).
// Kept free of the decoders so the API Worker can import it.
import { cosine } from "./projection";

export interface InconsistentPair {
  /** 1-based clip numbers, as the error message names them (a < b). */
  a: number;
  b: number;
  /** Cosine of the two clips' embeddings. */
  similarity: number;
}

/** The least similar pair of clips when it is below `minSimilarity`, else null (also for fewer than 2 clips). */
export function inconsistentPair(embeddings: ArrayLike<number>[], minSimilarity: number): InconsistentPair | null {
  let worst: InconsistentPair | null = null;
  for (let i = 0; i < embeddings.length; i++) {
    for (let j = i + 1; j < embeddings.length; j++) {
      const similarity = cosine(Float32Array.from(embeddings[i]!), Float32Array.from(embeddings[j]!));
      if (!worst || similarity < worst.similarity) worst = { a: i + 1, b: j + 1, similarity };
    }
  }
  return worst && worst.similarity < minSimilarity ? worst : null;
}

export function inconsistencyMessage(p: InconsistentPair, minSimilarity: number): string {
  return (
    `clips ${p.a} and ${p.b} do not sound like the same speaker (similarity ${p.similarity.toFixed(3)}, at least ${minSimilarity} expected); ` +
    "enrol with clips of one speaker only"
  );
}
