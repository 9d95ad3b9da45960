// The comparison the service really makes: a student's template (L2-normalised mean of the enrolment photos,
// refused when two enrolment photos disagree) against one probe photo. Photo-against-photo pairs (pairs.ts)
// are the standard calibration protocol; this is what a student meets per attempt.
import type { PhotoSet } from "./pairs";

export const ENROL = 3;

export type TemplateScores = {
  /** Identities with at least ENROL + 1 usable photos, and how many of them the agreement rule refused. */
  candidates: number;
  refused: number;
  genuine: Float32Array; // sorted ascending: template against the identity's other photos
  impostor: Float32Array; // sorted ascending: template against every photo of the other identities in the set
};

export function templateScores(s: PhotoSet, agreement: number): TemplateScores {
  const d = s.dim;
  const byId = new Map<number, number[]>();
  s.files.forEach((_, i) => byId.set(s.idOf[i]!, [...(byId.get(s.idOf[i]!) ?? []), i]));
  let candidates = 0;
  let refused = 0;
  const genuine: number[] = [];
  const impostor = new Float32Array(s.files.length * byId.size);
  let ni = 0;
  for (const [id, unsorted] of byId) {
    // Sorted by file name (whatever the cache's order): the first three enrol, the rest probe.
    const photos = unsorted.sort((a, b) => (s.files[a]! < s.files[b]! ? -1 : 1));
    if (photos.length < ENROL + 1) continue;
    candidates++;
    // Same maths as buildTemplate (src/biometrics/face/templates.ts), with the agreement as an argument.
    const enrol = photos.slice(0, ENROL);
    let minAgreement = Infinity;
    for (let a = 0; a < enrol.length; a++) for (let b = a + 1; b < enrol.length; b++) minAgreement = Math.min(minAgreement, dotRows(s, enrol[a]!, enrol[b]!));
    if (minAgreement < agreement) {
      refused++;
      continue;
    }
    const t = new Float32Array(d);
    for (const p of enrol) for (let k = 0; k < d; k++) t[k]! += s.emb[p * d + k]!;
    let norm = 0;
    for (const v of t) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < d; k++) t[k]! /= norm;
    const dot = (i: number) => {
      let x = 0;
      for (let k = 0; k < d; k++) x += t[k]! * s.emb[i * d + k]!;
      return x;
    };
    for (const p of photos.slice(ENROL)) genuine.push(dot(p));
    for (let i = 0; i < s.files.length; i++) if (s.idOf[i] !== id) impostor[ni++] = dot(i);
  }
  return { candidates, refused, genuine: Float32Array.from(genuine).sort(), impostor: impostor.slice(0, ni).sort() };
}

function dotRows(s: PhotoSet, i: number, j: number): number {
  let x = 0;
  for (let k = 0; k < s.dim; k++) x += s.emb[i * s.dim + k]! * s.emb[j * s.dim + k]!;
  return x;
}
