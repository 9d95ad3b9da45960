// Keystroke-dynamics detector: a per-student model of how they type one phrase, and a score for a new typing.
//
// Features (BENCHMARKS.md): log timings (roughly log-normal), log pressure and finger area, and each group's
// per-typing mean. Each feature's deviation is scaled by the student's own robust spread (MAD, floored: a key typed
// with near-identical timing in training must not turn every later variation into an outlier) and clipped at a few
// spreads (one wild key cannot outvote the rest); the distance between two typings is the mean of those.
// Since issue 16 part 3 (model v2 of this file, id trustid-keystroke-knn-v3): a typing's distance is its mean
// distance to the k nearest training typings (not to their median), and the first 20 % of the training typings
// are left out as warm-up: a phrase's first typings are slower and less regular than the student's later ones.
// Together these took the held-out one-typing half total error from 6.96 % to about 6.1 % (5-fold by subject,
// variant chosen on the calibration subjects: bench/keystroke-variants.ts); either alone gained little.
// The distance is then divided by the student's own scale (the same distance for each kept training typing against
// the others, averaged), so one global threshold serves every student (1 = as far as the student's own typings).
import { BiometricInputError } from "../input-error";
import { REPLAY_LIMITS } from "../repeats";
import { KEYSTROKE_OPERATING_POINTS, keystrokeOperatingPoint } from "./operating-points";
import { describeLayout, layoutOf, sameLayout, type KeystrokeLayout, type KeystrokeSample } from "./parse";

export const KEYSTROKE_MIN_TRAINING_SAMPLES = 10;

/** Hyperparameters: clip and floors chosen on MEU-Mobile subjects 1-20 (issue 4); warm-up share and neighbours by
 * bench/keystroke-variants.ts (the variant with the lowest pooled EER; chosen on the calibration subjects per fold). */
export interface KeystrokeParams {
  /** Largest per-feature deviation counted, in robust standard deviations. */
  clip: number;
  /** Smallest scale of a log-timing feature (0.15 = about 15 % jitter): a student who typed a key with
   * near-identical timing during training must not turn every ordinary later variation into an outlier. */
  timingFloor: number;
  /** Smallest scale of a pressure/area feature, relative to its median (sensors report coarse steps). */
  relativeFloor: number;
  /** Share of the training typings, the first ones typed, left out of the model as warm-up. */
  warmUpShare: number;
  /** Neighbours averaged: a typing's distance is its mean distance to the k nearest kept training typings. */
  neighbours: number;
  /** At most this many training typings are kept (the latest): bounds the model's size. */
  maxKept: number;
  /** Decision threshold a model keeps for callers that pass no security level's threshold; accept when
   * distance <= threshold. Left unset, a model takes the `high` level's for its layout (keystrokeOperatingPoint:
   * timings-only models have their own); the default here is the one for typings with touch data. */
  threshold: number;
}

export const DEFAULT_KEYSTROKE_PARAMS: KeystrokeParams = {
  clip: 3,
  timingFloor: 0.15,
  relativeFloor: 0.1,
  warmUpShare: 0.2,
  neighbours: 5,
  maxKept: 50,
  // The equal-error point, the `high` level's threshold (operating-points.ts; `standard`'s until 2026-12-05).
  threshold: KEYSTROKE_OPERATING_POINTS.high.threshold,
};

/** A per-student model; plain JSON (numbers and arrays) so it can be stored in the Durable Object as is. */
export interface KeystrokeModel {
  kind: "keystroke";
  version: 2;
  layout: KeystrokeLayout;
  /** Multiplier turning the student's timings into milliseconds (1, or 1000 when they were sent in seconds). */
  timeScale: number;
  /** Feature vectors of the kept training typings (after the warm-up, the latest maxKept), 4 decimals. */
  typings: number[][];
  /** Per feature: the robust spread of the kept typings (the unit of a deviation). */
  scale: number[];
  clip: number;
  neighbours: number;
  /** Mean (the per-student normalisation) and spread of the kept typings' own distances to the others. */
  norm: { mean: number; sd: number };
  threshold: number;
  trainingSamples: number;
}

export interface KeystrokeScore {
  /** In (0, 1), higher = more like the student; 0.5 is the decision threshold. */
  score: number;
  isMatch: boolean;
  /** Normalised distance (1 = as far as the student's own training typings are from the rest of them); the
   * decision is distance <= threshold. */
  distance: number;
  /** The threshold the decision used (the chosen security level's, or the model's own). */
  threshold: number;
}

export interface KeystrokeScoreOptions {
  field?: string;
  /** The chosen security level's threshold (KEYSTROKE_OPERATING_POINTS[level].threshold); the model's own
   * stored threshold when absent. */
  threshold?: number;
}

/** In (0, 1), 0.5 at the threshold; a spread of 10 % of the threshold (about the spread of a student's own
 * typings on this scale), so genuine typings score well above 0.5 and other people's well below. */
const scoreOf = (distance: number, threshold: number) => 1 / (1 + Math.exp((distance - threshold) / (0.1 * threshold)));

const slog = (v: number) => Math.sign(v) * Math.log1p(Math.abs(v));
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

function median(a: ArrayLike<number>): number {
  // Typed-array sort is numeric and much faster than a comparator sort; training sorts ~3600 short columns.
  const s = Float64Array.from(a).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Feature vector: log timings (in ms), log pressure and area, and the per-typing averages of each group
 * (overall speed and force are stable traits that single keys only hint at). `timing` marks timing features. */
function features(s: KeystrokeSample, timeScale: number): { x: number[]; timing: boolean[] } {
  const x: number[] = [];
  const timing: boolean[] = [];
  const add = (vals: number[], isTiming: boolean, scale: number) => {
    const t = vals.map((v) => slog(v * scale));
    for (const v of t) {
      x.push(v);
      timing.push(isTiming);
    }
    x.push(mean(t));
    timing.push(isTiming);
  };
  add(s.hold, true, timeScale);
  add(s.downDown, true, timeScale);
  add(s.upDown, true, timeScale);
  if (s.pressure) add(s.pressure, false, 1);
  if (s.area) add(s.area, false, 1);
  return { x, timing };
}

/** Robust spread per feature: the MAD (scaled to a standard deviation), floored. */
function spread(X: number[][], timing: boolean[], p: KeystrokeParams): number[] {
  const col = new Float64Array(X.length);
  const dev = new Float64Array(X.length);
  return X[0]!.map((_, j) => {
    for (let i = 0; i < X.length; i++) col[i] = X[i]![j]!;
    const c = median(col);
    for (let i = 0; i < X.length; i++) dev[i] = Math.abs(col[i]! - c);
    // 1.4826 makes the MAD estimate a standard deviation for normal data.
    const mad = 1.4826 * median(dev);
    return Math.max(mad, timing[j] ? p.timingFloor : p.relativeFloor * Math.abs(c), 1e-6);
  });
}

/** Mean clipped scaled deviation between two typings' features. */
function typingDistance(a: number[], b: number[], scale: number[], clip: number): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += Math.min(Math.abs(a[j]! - b[j]!) / scale[j]!, clip);
  return s / a.length;
}

/** Mean distance of `x` to its k nearest typings in `typings` (`skip` leaves one out). */
function nearestDistance(typings: number[][], x: number[], scale: number[], clip: number, k: number, skip = -1): number {
  const d: number[] = [];
  typings.forEach((t, i) => {
    if (i !== skip) d.push(typingDistance(x, t, scale, clip));
  });
  d.sort((a, b) => a - b);
  return mean(d.slice(0, Math.min(k, d.length)));
}

/** Timings are documented in milliseconds; a dataset (or one typing) whose median hold is under 5 was clearly sent in
 * seconds (no key is held for less than 5 ms; typical holds are 60-200 ms). */
function guessTimeScale(samples: KeystrokeSample[]): number {
  return median(samples.flatMap((s) => s.hold)) < 5 ? 1000 : 1;
}

export function trainKeystrokeModel(
  samples: KeystrokeSample[],
  options: { field?: string; params?: Partial<KeystrokeParams> } = {},
): KeystrokeModel {
  const field = options.field ?? "training_dataset";
  const p = { ...DEFAULT_KEYSTROKE_PARAMS, ...options.params };
  if (samples.length < KEYSTROKE_MIN_TRAINING_SAMPLES) {
    throw new BiometricInputError(
      field,
      `at least ${KEYSTROKE_MIN_TRAINING_SAMPLES} typing samples are needed to train (got ${samples.length})`,
    );
  }
  const layout = layoutOf(samples[0]!);
  samples.forEach((s, i) => {
    if (!sameLayout(layoutOf(s), layout)) {
      throw new BiometricInputError(field, `sample ${i + 1} has ${describeLayout(layoutOf(s))}, sample 1 has ${describeLayout(layout)}`);
    }
  });
  const timeScale = guessTimeScale(samples);
  const feats = samples.map((s) => features(s, timeScale));
  const timing = feats[0]!.timing;
  // Samples are in the order typed: leave out the warm-up, keep at most the latest maxKept.
  const from = Math.max(Math.floor(p.warmUpShare * samples.length), samples.length - p.maxKept);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const X = feats.slice(from).map((f) => f.x.map(round));
  const scale = spread(X, timing, p);
  // Copies among the training typings (../repeats.ts REPLAY_LIMITS): a model of one typing sent many times accepts
  // only replays of it. Real typings of MEU-Mobile's 40 subjects are never closer than 0.41 to one another.
  for (let i = 0; i < X.length; i++) {
    for (let j = i + 1; j < X.length; j++) {
      if (typingDistance(X[i]!, X[j]!, scale, p.clip) < REPLAY_LIMITS.keystrokeDistance) {
        throw new BiometricInputError(field, `repeated_sample: typings ${from + i + 1} and ${from + j + 1} are copies of each other (nobody types every key to the millisecond twice); send typings of separate attempts`);
      }
    }
  }
  const k = Math.min(p.neighbours, X.length - 1);
  // Each kept typing against the others: how far this student's own typings fall from one another.
  const own = X.map((x, i) => nearestDistance(X, x, scale, p.clip, k, i));
  const m = mean(own);
  const sd = Math.sqrt(own.reduce((a, v) => a + (v - m) ** 2, 0) / (own.length - 1));
  return {
    kind: "keystroke",
    version: 2,
    layout,
    timeScale,
    typings: X,
    scale,
    clip: p.clip,
    neighbours: k,
    // The spread is kept for auditing (the distance divides by the mean only). A student whose typings are all
    // alike would get a mean near 0 and reject everything: floor it (real students' means are about 0.5-1.2).
    norm: { mean: Math.max(m, 0.2), sd: Math.max(sd, 0.1 * m, 1e-6) },
    // The `high` level's threshold for this layout, unless the caller chose one (timings-only models have their own).
    threshold: options.params?.threshold ?? keystrokeOperatingPoint("high", layout).threshold,
    trainingSamples: samples.length,
  };
}

/**
 * The distance of a typing to the closest typing the model keeps, on the scale of typingDistance (mean clipped
 * per-feature deviation in the student's own spreads), before any normalisation: about 0 for a copy of a training
 * typing (../repeats.ts, REPLAY_LIMITS), well above for a new one.
 */
export function closestTrainingTyping(model: KeystrokeModel, sample: KeystrokeSample): number {
  const { x } = features(sample, guessTimeScale([sample]));
  return Math.min(...model.typings.map((t) => typingDistance(x, t, model.scale, model.clip)));
}

/**
 * The model and the typings on the measurements both have. Touch pressure or area the model was trained without are
 * left out of the typings (a model of timings only judges the timings of a typing that also carries touch data).
 * Touch data the model has but the typings lack (a device that reports none, or one constant value, which parse.ts
 * reads as none) is left out of the model: its kept typings' other features, normalised among themselves as
 * training would, so the decision is the one a model trained without that data would make, at its layout's
 * operating point (keystrokeOperatingPoint). Before, such typings were a 400 and a monitoring typing was lost.
 */
export function onSharedMeasurements(model: KeystrokeModel, samples: KeystrokeSample[]): { model: KeystrokeModel; typings: KeystrokeSample[] } {
  const first = samples[0];
  const has = { pressure: model.layout.pressure && first?.pressure !== undefined, area: model.layout.area && first?.area !== undefined };
  const typings = samples.map(({ pressure, area, ...timings }) => ({ ...timings, ...(has.pressure && pressure ? { pressure } : {}), ...(has.area && area ? { area } : {}) }));
  if (has.pressure === model.layout.pressure && has.area === model.layout.area) return { model, typings };
  return { model: withoutTouch(model, has), typings };
}

/** The model restricted to its timings and the touch groups in `keep` (features() lays them out in that order). */
function withoutTouch(model: KeystrokeModel, keep: { pressure: boolean; area: boolean }): KeystrokeModel {
  const n = model.layout.keys;
  const timings = 3 * n + 1; // hold (n + mean), down-down and up-down (n - 1 + mean each)
  const groups: Array<[boolean, boolean]> = [[model.layout.pressure, keep.pressure], [model.layout.area, keep.area]];
  const columns = Array.from({ length: timings }, (_, j) => j);
  let at = timings;
  for (const [had, kept] of groups) {
    if (!had) continue;
    if (kept) for (let j = at; j < at + n + 1; j++) columns.push(j);
    at += n + 1;
  }
  const typings = model.typings.map((t) => columns.map((j) => t[j]!));
  const scale = columns.map((j) => model.scale[j]!);
  const own = typings.map((x, i) => nearestDistance(typings, x, scale, model.clip, model.neighbours, i));
  const layout = { keys: n, ...keep };
  return { ...model, layout, typings, scale, norm: { ...model.norm, mean: Math.max(mean(own), 0.2) }, threshold: keystrokeOperatingPoint("high", layout).threshold };
}

export function scoreKeystroke(model: KeystrokeModel, sample: KeystrokeSample, options: KeystrokeScoreOptions = {}): KeystrokeScore {
  const field = options.field ?? "testing_dataset";
  const l = layoutOf(sample);
  if (!sameLayout(l, model.layout)) {
    throw new BiometricInputError(field, `sample has ${describeLayout(l)} but the student's model was trained on ${describeLayout(model.layout)}`);
  }
  // The typing's own unit, not the training set's: a page may train in milliseconds and test in seconds (or the
  // reverse); with the model's scale such a typing was scored 1000 times off and refused every time.
  const { x } = features(sample, guessTimeScale([sample]));
  const distance = nearestDistance(model.typings, x, model.scale, model.clip, model.neighbours) / model.norm.mean;
  const threshold = decisionThreshold(model, options);
  return { score: scoreOf(distance, threshold), isMatch: distance <= threshold, distance, threshold };
}

function decisionThreshold(model: KeystrokeModel, options: KeystrokeScoreOptions): number {
  const t = options.threshold ?? model.threshold;
  if (!(Number.isFinite(t) && t > 0)) throw new RangeError(`keystroke threshold must be a positive number (got ${t})`);
  return t;
}

/** Several test typings at once: each is scored, the decision uses their mean normalised distance (averaging makes
 * the decision steadier: fewer refusals of the student at about the same false-match rate, BENCHMARKS.md). */
export function scoreKeystrokeSamples(
  model: KeystrokeModel,
  samples: KeystrokeSample[],
  options: KeystrokeScoreOptions = {},
): KeystrokeScore & { samples: KeystrokeScore[] } {
  if (samples.length === 0) throw new BiometricInputError(options.field ?? "testing_dataset", "no typing samples to test");
  const each = samples.map((s) => scoreKeystroke(model, s, options));
  const distance = mean(each.map((e) => e.distance));
  const threshold = decisionThreshold(model, options);
  return { score: scoreOf(distance, threshold), isMatch: distance <= threshold, distance, threshold, samples: each };
}

const numArray = (v: unknown, n?: number) =>
  Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === "number" && Number.isFinite(x));

/** Guard for a model read back from storage (a stale or foreign value must not reach the scorer). */
export function isKeystrokeModel(v: unknown): v is KeystrokeModel {
  if (v === null || typeof v !== "object") return false;
  const m = v as Partial<KeystrokeModel>;
  return (
    m.kind === "keystroke" &&
    m.version === 2 &&
    typeof m.layout?.keys === "number" &&
    numArray(m.scale) &&
    Array.isArray(m.typings) &&
    m.typings.length >= 2 &&
    m.typings.every((t) => numArray(t, m.scale!.length)) &&
    typeof m.neighbours === "number" &&
    m.neighbours >= 1 &&
    typeof m.norm?.mean === "number" &&
    m.norm.mean > 0 &&
    typeof m.norm?.sd === "number" &&
    typeof m.threshold === "number" &&
    typeof m.clip === "number" &&
    typeof m.timeScale === "number"
  );
}
