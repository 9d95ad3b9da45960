// Enrolment maths: a set of embeddings becomes one template only if its images agree with each other.
import { cosine } from "./pipeline";
import { FACE_POLICY } from "./policy";

export type TemplateBuild =
  | { ok: true; template: Float32Array<ArrayBuffer>; minAgreement: number | null }
  | { ok: false; minAgreement: number; pair: [number, number] };

/** The L2-normalised mean of the embeddings, refused when any two of them fall below the agreement threshold. */
export function buildTemplate(embeddings: readonly (readonly number[])[]): TemplateBuild {
  let min: number | null = null;
  let pair: [number, number] = [0, 0];
  for (let i = 0; i < embeddings.length; i++) {
    for (let j = i + 1; j < embeddings.length; j++) {
      const s = cosine(embeddings[i]!, embeddings[j]!);
      if (min === null || s < min) {
        min = s;
        pair = [i, j];
      }
    }
  }
  if (min !== null && min < FACE_POLICY.enrolAgreement) return { ok: false, minAgreement: min, pair };
  const dim = embeddings[0]!.length;
  const mean = new Float32Array(dim);
  for (const e of embeddings) for (let k = 0; k < dim; k++) mean[k]! += e[k]!;
  let norm = 0;
  for (const v of mean) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (let k = 0; k < dim; k++) mean[k]! /= norm;
  return { ok: true, template: mean, minAgreement: min };
}
