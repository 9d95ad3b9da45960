// All-pairs scoring inside one set of photos: genuine (same identity) and impostor (different identities)
// cosine similarities of L2-normalised embeddings, kept in typed arrays (a half has ~2.4 million impostor pairs).
import { rng, wilson } from "./stats";

export type PhotoSet = {
  /** Photos with a usable face, embeddings row by row (n x dim). */
  emb: Float32Array;
  dim: number;
  files: string[];
  /** Identity index per photo, into `identities`. */
  idOf: Int32Array;
  identities: string[];
  /** Photos of these identities for which the pipeline found no usable face. */
  failures: string[];
  photos: number;
};

export function photoSet(items: { file: string; identity: string; embedding: number[] | null }[], identities: string[]): PhotoSet {
  const index = new Map(identities.map((id, i) => [id, i]));
  const ok = items.filter((i) => index.has(i.identity) && i.embedding);
  const dim = ok[0]?.embedding!.length ?? 0;
  const emb = new Float32Array(ok.length * dim);
  ok.forEach((it, r) => {
    // Re-normalise: caches from other models may hold raw embeddings.
    let n = 0;
    for (const v of it.embedding!) n += v * v;
    n = Math.sqrt(n) || 1;
    for (let k = 0; k < dim; k++) emb[r * dim + k] = it.embedding![k]! / n;
  });
  return {
    emb,
    dim,
    files: ok.map((i) => i.file),
    idOf: Int32Array.from(ok, (i) => index.get(i.identity)!),
    identities,
    failures: items.filter((i) => index.has(i.identity) && !i.embedding).map((i) => i.file),
    photos: items.filter((i) => index.has(i.identity)).length,
  };
}

export type PairScores = {
  genuine: Float32Array; // sorted ascending
  impostor: Float32Array; // sorted ascending
  /** Unsorted impostor scores with their photo pair (i * n + j), for the identity-level analyses. */
  impostorRaw: Float32Array;
  impostorPair: Uint32Array;
  /** Unsorted genuine scores with their identity. */
  genuineRaw: Float32Array;
  genuineId: Int32Array;
};

export function scorePairs(s: PhotoSet): PairScores {
  const n = s.files.length;
  const d = s.dim;
  let g = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (s.idOf[i] === s.idOf[j]) g++;
  const total = (n * (n - 1)) / 2;
  const genuineRaw = new Float32Array(g);
  const genuineId = new Int32Array(g);
  const impostorRaw = new Float32Array(total - g);
  const impostorPair = new Uint32Array(total - g);
  let gi = 0;
  let ii = 0;
  const e = s.emb;
  for (let i = 0; i < n; i++) {
    const a = i * d;
    for (let j = i + 1; j < n; j++) {
      const b = j * d;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += e[a + k]! * e[b + k]!;
      if (s.idOf[i] === s.idOf[j]) {
        genuineRaw[gi] = dot;
        genuineId[gi++] = s.idOf[i]!;
      } else {
        impostorRaw[ii] = dot;
        impostorPair[ii++] = i * n + j;
      }
    }
  }
  return { genuine: genuineRaw.slice().sort(), impostor: impostorRaw.slice().sort(), impostorRaw, impostorPair, genuineRaw, genuineId };
}

export type FalseMatch = { score: number; a: string; b: string };

/** Impostor pairs scoring at or above t, highest first. */
export function impostorsAbove(s: PhotoSet, p: PairScores, t: number): FalseMatch[] {
  const n = s.files.length;
  const out: FalseMatch[] = [];
  for (let k = 0; k < p.impostorRaw.length; k++) {
    if (p.impostorRaw[k]! < t) continue;
    const code = p.impostorPair[k]!;
    out.push({ score: p.impostorRaw[k]!, a: s.files[Math.floor(code / n)]!, b: s.files[code % n]! });
  }
  return out.sort((x, y) => y.score - x.score);
}

/** The `count` highest impostor scores (the threshold is raised until at most `count` remain). */
export function topImpostors(s: PhotoSet, p: PairScores, count: number): FalseMatch[] {
  const t = p.impostor[Math.max(0, p.impostor.length - count)]!;
  return impostorsAbove(s, p, t).slice(0, count);
}

/**
 * Pairs of one identity are not independent trials (one look-alike pair of people gives up to 100 photo pairs),
 * so the Wilson interval over photo pairs is too narrow. This bootstrap resamples identities (with
 * replacement) and recomputes FMR and FNMR at t: a 95 % percentile interval that accounts for that clustering.
 */
export function identityBootstrap(s: PhotoSet, p: PairScores, t: number, rounds = 1000, seed = 17): { fmr: [number, number]; fnmr: [number, number] } {
  const m = s.identities.length;
  const n = s.files.length;
  const photos = new Float64Array(m);
  for (let i = 0; i < n; i++) photos[s.idOf[i]!]!++;
  const genPairs = new Float64Array(m);
  const genErr = new Float64Array(m);
  for (let k = 0; k < p.genuineRaw.length; k++) {
    genPairs[p.genuineId[k]!]!++;
    if (p.genuineRaw[k]! < t) genErr[p.genuineId[k]!]!++;
  }
  // False matches by identity pair (sparse).
  const fm: { a: number; b: number; c: number }[] = [];
  const fmIndex = new Map<number, number>();
  for (let k = 0; k < p.impostorRaw.length; k++) {
    if (p.impostorRaw[k]! < t) continue;
    const code = p.impostorPair[k]!;
    const ia = s.idOf[Math.floor(code / n)]!;
    const ib = s.idOf[code % n]!;
    const key = Math.min(ia, ib) * m + Math.max(ia, ib);
    const at = fmIndex.get(key);
    if (at === undefined) {
      fmIndex.set(key, fm.length);
      fm.push({ a: ia, b: ib, c: 1 });
    } else fm[at]!.c++;
  }
  const rand = rng(seed);
  const fmrs: number[] = [];
  const fnmrs: number[] = [];
  const mult = new Float64Array(m);
  for (let r = 0; r < rounds; r++) {
    mult.fill(0);
    for (let k = 0; k < m; k++) mult[Math.floor(rand() * m)]!++;
    let sum = 0;
    let sumSq = 0;
    let ge = 0;
    let gp = 0;
    for (let a = 0; a < m; a++) {
      const w = mult[a]! * photos[a]!;
      sum += w;
      sumSq += mult[a]! * photos[a]! * photos[a]!;
      ge += mult[a]! * genErr[a]!;
      gp += mult[a]! * genPairs[a]!;
    }
    // Impostor pairs between different draws: copies of the same identity are not impostors of each other.
    const impPairs = (sum * sum - sumSq) / 2 - sumOverCopies(mult, photos);
    let err = 0;
    for (const x of fm) err += mult[x.a]! * mult[x.b]! * x.c;
    fmrs.push(impPairs > 0 ? err / impPairs : 0);
    fnmrs.push(gp > 0 ? ge / gp : 0);
  }
  const q = (v: number[]): [number, number] => {
    v.sort((x, y) => x - y);
    return [v[Math.floor(0.025 * v.length)]!, v[Math.min(v.length - 1, Math.floor(0.975 * v.length))]!];
  };
  return { fmr: q(fmrs), fnmr: q(fnmrs) };
}

/** Cross pairs between different copies of the same identity (drawn more than once): not impostor pairs. */
function sumOverCopies(mult: Float64Array, photos: Float64Array): number {
  let s = 0;
  for (let a = 0; a < mult.length; a++) if (mult[a]! > 1) s += ((mult[a]! * (mult[a]! - 1)) / 2) * photos[a]! * photos[a]!;
  return s;
}

export { wilson };
