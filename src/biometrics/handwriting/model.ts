// Online-signature verification: enrol a writer from a few genuine signatures, then verify a new one.
//
// The new signature is compared by DTW with each reference. Raw DTW distances are not comparable across writers
// (a writer with a simple, steady signature has small distances for everyone), so they are divided by the same
// statistics measured among the writer's own references: how close the nearest and the average reference are
// to one another (as in Kholmatov & Yanikoglu, SVC2004's winning system). Those statistics come from only 5-10
// signatures and are noisy; a constant `prior` added to them (a shrinkage toward a common scale, chosen on
// writers 001-010) keeps one writer's lucky, very consistent references from making the writer unverifiable.
// With that per-writer normalisation one global threshold serves every writer
// (BENCHMARKS.md).
//
// DTW alone misses what a skilled forger gets wrong on the whole (duration, speed, proportions, the mix of
// directions...): a second, writer-normalised distance on global descriptors (descriptors.ts) is averaged in
// with weight `descriptorWeight`. The two err on different signatures, and their average calibrates better
// across writers than either (BENCHMARKS.md, "Handwriting").
//
// v3: the DTW is stability-modulated (stability.ts): enrolment measures, per reference point, how consistently
// the writer's other references match it one-to-one, and a probe's mismatch at a stable point costs more than at
// a loose one. The reference statistics are measured with the same weighted DTW, so the normalisation above is
// unchanged.
import { BiometricInputError } from "../input-error";
import { DESCRIPTOR_COUNT, descriptorDistance, descriptorStats, signatureDescriptors, type DescriptorStats } from "./descriptors";
import { featureSeq, resample, type FeatureName, type FeatureSeq, type Resampled } from "./features";
import { HANDWRITING_OPERATING_POINTS, HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE } from "./operating-points";
import type { PenTrajectory } from "./parse";
import { countsOf, stabilityEnrolment, stabilityWeights, weightedDtw } from "./stability";

export const HANDWRITING_MIN_REFERENCES = 3;
export const HANDWRITING_MAX_REFERENCES = 10;
/**
 * Points (10 ms each) all of a model's references may hold together: 120 s of signing. A model keeps its
 * references (about 20 bytes of JSON per point), and its wallet export must come back through
 * /biometrics/wallet/send, whose `sealed` field (WALLET_LIMITS.sealedField, 512 KiB) holds the model JSON
 * base64url-encoded twice (claims, then JWE): 16/9 of the JSON. Ten 12 s signatures fit whole; longer enrolments
 * keep their newest signatures that fit, never fewer than HANDWRITING_MIN_REFERENCES (three at the 30 s limit are
 * 9,000 points). Tested in test/node/handwriting.test.ts with the real seal.
 */
export const HANDWRITING_MAX_TOTAL_POINTS = 12_000;
/**
 * Signatures registered one (or two) per request within this long of each other form one enrolment: the model is
 * built once the session holds HANDWRITING_MIN_REFERENCES and rebuilt with each later one (up to
 * HANDWRITING_MAX_REFERENCES, the oldest dropped). An older session is deleted and the next signature starts a new
 * one, so a later re-enrolment never mixes with the old signatures (src/templates/signal.ts).
 */
export const HANDWRITING_ENROLMENT_SESSION_MS = 10 * 60_000;

/** Hyperparameters: chosen by `npx tsx bench/handwriting.ts`, which cross-validates the choice over two halves
 * of the MCYT writers before choosing the shipped values on all 20 (BENCHMARKS.md). */
export interface HandwritingParams {
  stepMs: number;
  features: FeatureName[];
  /** Sakoe-Chiba band as a fraction of the longer signature. */
  band: number;
  /** Weight of the nearest-reference ratio; the mean-reference ratio gets 1 - wMin. */
  wMin: number;
  /** Added to the writer's reference statistics before dividing (DTW distance units). */
  prior: number;
  /** How much a reference point's stability weighs its DTW local cost (stability.ts): 0 = plain DTW, 1 = cost
   * proportional to stability. */
  stabilityWeight: number;
  /** Stability is averaged over +-this many points (stability.ts): a region's stability rather than a point's. */
  stabilitySmooth: number;
  /** Weight of the descriptor distance in the decision distance (the DTW distance gets 1 - descriptorWeight). */
  descriptorWeight: number;
  /** Added to the writer's leave-one-out descriptor distance before dividing. */
  descriptorPrior: number;
  /** A descriptor's spread is shrunk toward this many population spreads. */
  descriptorShrink: number;
  /** Fallback threshold on the normalised distance (accept when distance <= threshold) for callers that pass no
   * security level's threshold (operating-points.ts); new models store the `standard` level's. */
  threshold: number;
}

export const DEFAULT_HANDWRITING_PARAMS: HandwritingParams = {
  stepMs: 10,
  features: ["x", "y", "vx", "vy", "p"],
  band: 0.2,
  wMin: 0,
  prior: 0.6,
  stabilityWeight: 0.5,
  stabilitySmooth: 5,
  descriptorWeight: 0.1,
  descriptorPrior: 0.5,
  descriptorShrink: 2,
  // The pooled skilled-forgery EER point of writers 001-020 with these parameters: the `standard` level.
  threshold: HANDWRITING_OPERATING_POINTS.standard.threshold,
};

/**
 * Models enrolled from signatures without pressure (a mouse, a finger, most browsers) compare shape and rhythm
 * only: the tablet's `p` column is then nothing but a pen-lift signal (time gaps), and how long a writer's pen stays
 * up varies from one signature to the next more than it tells writers apart, so it is left out and the
 * accelerations come in (chosen per fold on calibration writers by `npx tsx bench/handwriting-levels.ts
 * --no-pressure`; BENCHMARKS.md, "Signatures without pressure"). Models enrolled before keep the features they
 * store, and their own thresholds (operating-points.ts).
 */
export const HANDWRITING_PARAMS_WITHOUT_PRESSURE: HandwritingParams = {
  ...DEFAULT_HANDWRITING_PARAMS,
  features: ["x", "y", "vx", "vy", "ax", "ay"],
  threshold: HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE.standard.threshold,
};

/** The parameters a new model is enrolled with. */
export const handwritingParamsFor = (hasPressure: boolean): HandwritingParams =>
  hasPressure ? DEFAULT_HANDWRITING_PARAMS : HANDWRITING_PARAMS_WITHOUT_PRESSURE;

export type HandwritingReference = Resampled;

/** A writer model: the resampled references and the writer's own distance statistics. Plain JSON. */
export interface HandwritingModel {
  kind: "handwriting";
  version: 3;
  params: HandwritingParams;
  hasPressure: boolean;
  references: HandwritingReference[];
  /** Per reference, one digit per point: how many of the other references match that point directly
   * (stability.ts); the point's stability is that count / (references - 1). */
  stability: string[];
  stats: {
    /** Mean over references of the distance to the nearest other reference. */
    avgMin: number;
    /** Mean over references of the mean distance to the other references. */
    avgMean: number;
  };
  /** The references' global descriptors (descriptors.ts). */
  descriptors: DescriptorStats;
}

export interface HandwritingScore {
  /** In (0, 1), higher = more like the writer; 0.5 is the decision threshold. */
  score: number;
  isMatch: boolean;
  /** Writer-normalised distance (smaller = closer to the writer's own variation); the decision is distance <= threshold. */
  distance: number;
  /** The threshold the decision used (the chosen security level's, or the model's own). */
  threshold: number;
  /** Raw DTW distance to each reference, for auditing. */
  referenceDistances: number[];
  /** The two writer-normalised parts of `distance` (about 1 = like the writer's own references). */
  dtwDistance: number;
  descriptorDistance: number;
  /**
   * The DTW distance to the closest reference over the writer's mean nearest-reference distance (`stats.avgMin`):
   * about 1 for a new signature of the writer, about 0 for a copy of a reference (../repeats.ts, REPLAY_LIMITS).
   */
  closestReference: number;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

/** References are stored compactly: centred, scaled to unit size, pressure relative to its maximum, 3 decimals
 * (DTW features are z-normalised per signature and descriptors are scale-free, so nothing they use is lost).
 * Probes go through the same step before their descriptors are computed. Exported for the benchmark. */
export function compact(r: Resampled): Resampled {
  const mx = mean(r.x);
  const my = mean(r.y);
  const s = Math.sqrt(mean(r.y.map((v) => (v - my) ** 2)) + mean(r.x.map((v) => (v - mx) ** 2))) || 1;
  const pm = Math.max(...r.p) || 1;
  return {
    x: r.x.map((v) => round((v - mx) / s, 3)),
    y: r.y.map((v) => round((v - my) / s, 3)),
    p: r.p.map((v) => round(v / pm, 3)),
  };
}

/** The reference-to-reference distances as enrolment computes them (stability-weighted DTW), with the stability counts
 * (exported for the benchmark). */
export function referenceDistances(references: HandwritingReference[], params: HandwritingParams) {
  const seqs = references.map((r) => featureSeq(r, params.features));
  return stabilityEnrolment(seqs, params.band, params.stabilityWeight, params.stabilitySmooth);
}

/**
 * The largest enrolmentSplit an enrolment may have: above it the signatures are not taken as one person's. A black-box
 * probe enrolled one signature each of 3 MCYT writers in one request; the model then accepted 18 of 20 other writers;
 * another sent 3 signatures of each of two writers, which the earlier measure (enrolmentSpread) let through 9 times in
 * 120, and the model then accepted both. The line is the lowest enrolmentSplit of any set mixing writers (one or two
 * outsiders, three writers, or two writers half each) on MCYT's 90 enrolment writers (`npx tsx
 * bench/handwriting-enrolment-consistency.ts [--no-pressure]`, BENCHMARKS.md "Handwriting enrolment consistency"): with
 * the same rule chosen on half the writers and counted on the others, 1.2 % (1.9 % without pressure) of a writer's own
 * 3-5 signature sets are refused (sign again) and 0.1 % (0.5 %) of mixed sets accepted.
 */
export const HANDWRITING_MAX_ENROLMENT_SPLIT = { pressure: 1.387, noPressure: 1.518 } as const;

/** The farthest reference's mean distance to the others: how far the least consistent signature of an enrolment
 * lies from the rest (the consistency measure until 2026-12-07; kept for the benchmark's comparison). */
export function enrolmentSpread(D: number[][]): number {
  return Math.max(...D.map((row, i) => mean(row.filter((_, j) => j !== i))));
}

/**
 * How far apart the most separable two groups of an enrolment's signatures lie: over every split of the references
 * into two non-empty groups, the largest mean distance between a signature of one group and one of the other
 * (exported for the benchmark). A split with one signature alone is enrolmentSpread's case (one outlier); a set of
 * two people's signatures, half each, is separated by its own split, where enrolmentSpread averages each signature's
 * distances to both people and let 9 of 120 three-and-three sets through (a probe, 2026-12-07). At most 10
 * references: 511 splits.
 */
export function enrolmentSplit(D: number[][]): number {
  const k = D.length;
  let best = 0;
  // Reference 0 stays in group A, so each split is counted once; mask bit j (j >= 1) puts reference j in group B.
  for (let mask = 1; mask < 1 << (k - 1); mask++) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < k; i++) {
      const inB = i > 0 && ((mask >> (i - 1)) & 1) === 1;
      if (inB) continue;
      for (let j = 1; j < k; j++) {
        if (((mask >> (j - 1)) & 1) === 1) {
          sum += D[i]![j]! + D[j]![i]!; // both ways: a reference's stability weights its own row
          n += 2;
        }
      }
    }
    best = Math.max(best, sum / n);
  }
  return best;
}

/** Whether two references are the same resampled signature (a signature sent twice). */
export const sameReference = (a: HandwritingReference, b: HandwritingReference) =>
  a.x.length === b.x.length && a.x.every((v, i) => v === b.x[i] && a.y[i] === b.y[i] && a.p[i] === b.p[i]);

/** The first two references (indices) that are the same signature, or null. */
function firstIdenticalPair(references: HandwritingReference[]): [number, number] | null {
  for (let j = 1; j < references.length; j++) {
    for (let i = 0; i < j; i++) if (sameReference(references[i]!, references[j]!)) return [i, j];
  }
  return null;
}

/** Writer statistics from the reference-to-reference distance matrix (exported for the benchmark). */
export function referenceStats(D: number[][]): HandwritingModel["stats"] {
  const k = D.length;
  const mins: number[] = [];
  const means: number[] = [];
  for (let i = 0; i < k; i++) {
    const others = D[i]!.filter((_, j) => j !== i);
    mins.push(Math.min(...others));
    means.push(mean(others));
  }
  return { avgMin: mean(mins), avgMean: mean(means) };
}

/** The writer-normalised distance from the raw distances to the references (exported for the benchmark). */
export function normalisedDistance(dists: number[], stats: HandwritingModel["stats"], p: HandwritingParams): number {
  const dmin = Math.min(...dists);
  const dmean = mean(dists);
  return p.wMin * (dmin / (stats.avgMin + p.prior)) + (1 - p.wMin) * (dmean / (stats.avgMean + p.prior));
}

/** The writer-normalised descriptor distance of a probe's descriptor vector (exported for the benchmark). */
export function normalisedDescriptorDistance(descriptors: number[], stats: DescriptorStats, p: HandwritingParams): number {
  return descriptorDistance(stats, descriptors) / (stats.looMean + p.descriptorPrior);
}

/** The decision distance: the weighted mean of the two normalised distances (exported for the benchmark). */
export function fusedDistance(dtwDistance: number, descriptorDistanceValue: number, p: HandwritingParams): number {
  return (1 - p.descriptorWeight) * dtwDistance + p.descriptorWeight * descriptorDistanceValue;
}

/** The newest references whose points fit HANDWRITING_MAX_TOTAL_POINTS together, never fewer than the minimum. */
export function newestReferencesWithinBudget(references: HandwritingReference[]): HandwritingReference[] {
  const kept = references.slice(-HANDWRITING_MAX_REFERENCES);
  let points = kept.reduce((n, r) => n + r.x.length, 0);
  while (kept.length > HANDWRITING_MIN_REFERENCES && points > HANDWRITING_MAX_TOTAL_POINTS) points -= kept.shift()!.x.length;
  return kept;
}

/** A signature as a writer model keeps it (resampled and compacted): what enrolment sessions collect. */
export function handwritingReference(sample: PenTrajectory, stepMs = DEFAULT_HANDWRITING_PARAMS.stepMs): HandwritingReference {
  return compact(resample(sample, stepMs));
}

export function enrollHandwriting(
  samples: PenTrajectory[],
  options: { field?: string; params?: Partial<HandwritingParams> } = {},
): HandwritingModel {
  const field = options.field ?? "biometric_data";
  const hasPressure = samples[0]?.hasPressure ?? true;
  const params = { ...handwritingParamsFor(hasPressure), ...options.params };
  if (samples.some((s) => s.hasPressure !== hasPressure)) {
    throw new BiometricInputError(field, "either every enrolment signature has pressure or none has");
  }
  return enrollHandwritingReferences(
    samples.map((s) => handwritingReference(s, params.stepMs)),
    hasPressure,
    options,
  );
}

/** Builds the writer model from references made by `handwritingReference` with the same step (an enrolment
 * sent in one request, or collected one signature per request: services/biometrics/handwriting.ts). */
export function enrollHandwritingReferences(
  references: HandwritingReference[],
  hasPressure: boolean,
  options: { field?: string; params?: Partial<HandwritingParams> } = {},
): HandwritingModel {
  const field = options.field ?? "biometric_data";
  const params = { ...handwritingParamsFor(hasPressure), ...options.params };
  if (references.length < HANDWRITING_MIN_REFERENCES) {
    throw new BiometricInputError(field, `at least ${HANDWRITING_MIN_REFERENCES} signatures are needed to enrol (got ${references.length})`);
  }
  if (references.length > HANDWRITING_MAX_REFERENCES) {
    throw new BiometricInputError(field, `at most ${HANDWRITING_MAX_REFERENCES} signatures are used to enrol (got ${references.length})`);
  }
  const copy = firstIdenticalPair(references);
  if (copy) {
    // A resent signature is no new sample: it shrinks the writer's measured variation, and a probe's writer was then
    // refused 9 times more often in 20 (2026-12-07).
    throw new BiometricInputError(field, `enrolment signatures ${copy[0] + 1} and ${copy[1] + 1} are identical copies: send each signature once (sign again for another)`);
  }
  const { counts, D } = referenceDistances(references, params);
  if (enrolmentSplit(D) > HANDWRITING_MAX_ENROLMENT_SPLIT[hasPressure ? "pressure" : "noPressure"]) {
    throw new BiometricInputError(
      field,
      "the enrolment signatures do not look like one person's signature (one differs too much from the others): sign again, the same way each time, and send each signature whole (all its strokes in one item, not one stroke per item)",
    );
  }
  const stats = referenceStats(D);
  if (!(stats.avgMin > 0)) throw new BiometricInputError(field, "the enrolment signatures are identical copies of one another");
  const descriptors = descriptorStats(
    references.map((r) => signatureDescriptors(r, params.stepMs)),
    params.descriptorShrink,
  );
  return { kind: "handwriting", version: 3, params, hasPressure, references, stability: counts, stats, descriptors };
}

export interface HandwritingVerifyOptions {
  field?: string;
  /** The chosen security level's threshold (HANDWRITING_OPERATING_POINTS[level].threshold); the model's own
   * stored `params.threshold` (0.793, the `standard` level's) when absent. */
  threshold?: number;
}

export function verifyHandwriting(model: HandwritingModel, sample: PenTrajectory, options: HandwritingVerifyOptions = {}): HandwritingScore {
  const p = model.params;
  const threshold = options.threshold ?? p.threshold;
  if (!(Number.isFinite(threshold) && threshold > 0)) throw new RangeError(`handwriting threshold must be a positive number (got ${threshold})`);
  // The writer's statistics were measured with (or without) pressure; a signature from a device of the other
  // kind would be judged against the wrong yardstick, so it is refused rather than scored badly.
  if (sample.hasPressure !== model.hasPressure) {
    throw new BiometricInputError(
      options.field ?? "biometric_data",
      model.hasPressure ? "the writer enrolled with pen pressure; this signature has none" : "the writer enrolled without pen pressure; send none",
    );
  }
  const resampled = resample(sample, p.stepMs);
  const seq: FeatureSeq = featureSeq(resampled, p.features);
  const others = model.references.length - 1;
  const referenceDistances = model.references.map((r, j) =>
    weightedDtw(seq, featureSeq(r, p.features), stabilityWeights(countsOf(model.stability[j]!), others, p.stabilityWeight, p.stabilitySmooth), p.band),
  );
  const dtwDistance = normalisedDistance(referenceDistances, model.stats, p);
  const descriptorDistanceValue = normalisedDescriptorDistance(signatureDescriptors(compact(resampled), p.stepMs), model.descriptors, p);
  const distance = fusedDistance(dtwDistance, descriptorDistanceValue, p);
  // Bounded input keeps this finite; should some sample still overflow, it is refused, never scored as NaN.
  if (!Number.isFinite(distance)) throw new BiometricInputError(options.field ?? "biometric_data", "the signature's values cannot be compared");
  // A logistic of the distance with a spread of 10 % of the threshold: genuine signatures get scores well above
  // 0.5, forgeries well below, and 0.5 is exactly the decision threshold.
  const score = 1 / (1 + Math.exp((distance - threshold) / (0.1 * threshold)));
  const closestReference = Math.min(...referenceDistances) / model.stats.avgMin;
  return { score, isMatch: distance <= threshold, distance, threshold, referenceDistances, dtwDistance, descriptorDistance: descriptorDistanceValue, closestReference };
}

/** Guard for a model read back from storage (a stale or foreign value must not reach the verifier). */
/**
 * A model this engine could have built (wallet restores: src/templates/wallet.ts): the shape isHandwritingModel checks,
 * the engine's own parameters for its pressure, its size budget, and positive writer statistics. A probe holding the
 * seal key restored models with `stepMs: 0` (the next verification ran the isolate out of memory), unknown features
 * (every verification a 500) and a negative mean distance (another writer accepted).
 */
export function isEngineHandwritingModel(v: unknown): v is HandwritingModel {
  if (!isHandwritingModel(v) || typeof v.hasPressure !== "boolean") return false;
  const { threshold: _t, ...params } = v.params;
  const { threshold: _e, ...engine } = handwritingParamsFor(v.hasPressure);
  const sameParams = JSON.stringify(Object.entries(params).sort()) === JSON.stringify(Object.entries(engine).sort());
  const points = v.references.reduce((n, r) => n + r.x.length, 0);
  const positive = (x: number) => Number.isFinite(x) && x > 0;
  return (
    sameParams &&
    Number.isFinite(v.params.threshold) &&
    v.references.length <= HANDWRITING_MAX_REFERENCES &&
    points <= HANDWRITING_MAX_TOTAL_POINTS &&
    positive(v.stats.avgMin) &&
    positive(v.stats.avgMean) &&
    v.descriptors.looMean >= 0
  );
}

export function isHandwritingModel(v: unknown): v is HandwritingModel {
  if (v === null || typeof v !== "object") return false;
  const m = v as Partial<HandwritingModel>;
  const nums = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === "number" && Number.isFinite(x));
  return (
    m.kind === "handwriting" &&
    m.version === 3 &&
    typeof m.params?.threshold === "number" &&
    typeof m.params.stabilityWeight === "number" &&
    m.params.stabilityWeight >= 0 &&
    m.params.stabilityWeight <= 1 &&
    Number.isInteger(m.params.stabilitySmooth) &&
    m.params.stabilitySmooth >= 0 &&
    m.params.stabilitySmooth <= 100 &&
    typeof m.params.descriptorWeight === "number" &&
    typeof m.params.descriptorPrior === "number" &&
    Array.isArray(m.params.features) &&
    Array.isArray(m.references) &&
    m.references.length >= HANDWRITING_MIN_REFERENCES &&
    m.references.every((r) => nums(r.x) && nums(r.y) && nums(r.p) && r.x.length === r.y.length && r.x.length === r.p.length && r.x.length > 1) &&
    Array.isArray(m.stability) &&
    m.stability.length === m.references.length &&
    m.stability.every((c, j) => typeof c === "string" && c.length === m.references![j]!.x.length && [...c].every((d) => d >= "0" && d.charCodeAt(0) - 48 < m.references!.length)) &&
    typeof m.stats?.avgMin === "number" &&
    typeof m.stats?.avgMean === "number" &&
    nums(m.descriptors?.mean) &&
    nums(m.descriptors?.spread) &&
    m.descriptors!.mean.length === DESCRIPTOR_COUNT &&
    m.descriptors!.spread.length === DESCRIPTOR_COUNT &&
    m.descriptors!.spread.every((s) => s > 0) &&
    typeof m.descriptors!.looMean === "number" &&
    Number.isFinite(m.descriptors!.looMean)
  );
}
