// Keystroke-dynamics detector: a per-student model of how they type one phrase, and a score for a new typing.
//
// Why this detector (measured on MEU-Mobile, BENCHMARKS.md): the classic scaled
// Manhattan distance on raw timings is dominated by the few long, erratic pauses of a typing; taking logarithms
// (timings are roughly log-normal), centring on the median and scaling by the MAD (robust to the odd hesitation in
// the 25 training typings) and clipping each feature's deviation at a few MADs (one wild key cannot outvote the
// rest) lowers the mean EER to 0.05 (notes/models.md: 0.09 for scaled Manhattan with pressure and area; 0.13 in our
// own exploratory run of it). Pressure and finger area, when present, add to the timings.
// The raw distance is then normalised per student by the mean distance of the student's own training typings
// (leave-one-out), so one global threshold serves every student. Dividing by that mean (a ratio: 1 = as far as
// the student's own typings) calibrates better across students than the z-score (minus the mean, over the
// spread) used before: 25 leave-one-out distances estimate a spread poorly, and a student whose spread came out
// small was then rejected too often (pooled one-typing EER 8.8 % -> 7.0 % over 40 subjects, BENCHMARKS.md).
import { BiometricInputError } from "../input-error";
import { KEYSTROKE_OPERATING_POINTS } from "./operating-points";
import { describeLayout, layoutOf, sameLayout, type KeystrokeLayout, type KeystrokeSample } from "./parse";

export const KEYSTROKE_MIN_TRAINING_SAMPLES = 10;

/** Hyperparameters, chosen on subjects 1-20 of MEU-Mobile only (the benchmark reports 21-40 separately). */
export interface KeystrokeParams {
  /** Largest per-feature deviation counted, in robust standard deviations. */
  clip: number;
  /** Smallest scale of a log-timing feature (0.15 = about 15 % jitter): a student who typed a key with
   * near-identical timing during training must not turn every ordinary later variation into an outlier. */
  timingFloor: number;
  /** Smallest scale of a pressure/area feature, relative to its median (sensors report coarse steps). */
  relativeFloor: number;
  /** Fallback decision threshold on the normalised distance (for callers that pass no security level's
   * threshold: operating-points.ts); accept when distance <= threshold. */
  threshold: number;
}

export const DEFAULT_KEYSTROKE_PARAMS: KeystrokeParams = {
  clip: 3,
  timingFloor: 0.15,
  relativeFloor: 0.1,
  // The `standard` level's threshold (operating-points.ts).
  threshold: KEYSTROKE_OPERATING_POINTS.standard.threshold,
};

/** A per-student model; plain JSON (numbers and arrays) so it can be stored in the Durable Object as is. */
export interface KeystrokeModel {
  kind: "keystroke";
  version: 1;
  layout: KeystrokeLayout;
  /** Multiplier turning the student's timings into milliseconds (1, or 1000 when they were sent in seconds). */
  timeScale: number;
  /** Per feature: robust centre and scale of the transformed features. */
  center: number[];
  scale: number[];
  clip: number;
  /** Mean (the per-student normalisation) and spread of the leave-one-out distances of the training samples. */
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

interface Fit {
  center: number[];
  scale: number[];
}

/** Robust centre and scale per feature; `skip` leaves one training sample out (leave-one-out normalisation). */
function fit(X: number[][], timing: boolean[], p: KeystrokeParams, skip = -1): Fit {
  const F = X[0]!.length;
  const n = X.length - (skip >= 0 ? 1 : 0);
  const col = new Float64Array(n);
  const dev = new Float64Array(n);
  const center: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < F; j++) {
    let k = 0;
    for (let i = 0; i < X.length; i++) if (i !== skip) col[k++] = X[i]![j]!;
    const c = median(col);
    for (let i = 0; i < n; i++) dev[i] = Math.abs(col[i]! - c);
    // 1.4826 makes the MAD estimate a standard deviation for normal data.
    const mad = 1.4826 * median(dev);
    const floor = timing[j] ? p.timingFloor : p.relativeFloor * Math.abs(c);
    center.push(c);
    scale.push(Math.max(mad, floor, 1e-6));
  }
  return { center, scale };
}

/** Mean clipped robust z-score over the features. */
function rawDistance(f: Fit, x: number[], clip: number): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += Math.min(Math.abs(x[j]! - f.center[j]!) / f.scale[j]!, clip);
  return s / x.length;
}

/** Timings are documented in milliseconds; a dataset whose median hold is under 5 was clearly sent in seconds. */
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
  const X = feats.map((f) => f.x);
  const full = fit(X, timing, p);
  // Leave-one-out distances tell how far this student's own typings fall from a model of the others.
  const loo = X.map((x, i) => rawDistance(fit(X, timing, p, i), x, p.clip));
  const m = mean(loo);
  const sd = Math.sqrt(loo.reduce((a, v) => a + (v - m) ** 2, 0) / (loo.length - 1));
  return {
    kind: "keystroke",
    version: 1,
    layout,
    timeScale,
    center: full.center,
    scale: full.scale,
    clip: p.clip,
    // The spread is kept for auditing (the distance divides by the mean only); floored as before.
    // A student whose training typings are all alike would get a mean near 0 and reject everything: floor it
    // (real students' means are 0.6-1.3 on MEU-Mobile).
    norm: { mean: Math.max(m, 0.2), sd: Math.max(sd, 0.1 * m, 1e-6) },
    threshold: p.threshold,
    trainingSamples: samples.length,
  };
}

export function scoreKeystroke(model: KeystrokeModel, sample: KeystrokeSample, options: KeystrokeScoreOptions = {}): KeystrokeScore {
  const field = options.field ?? "testing_dataset";
  const l = layoutOf(sample);
  if (!sameLayout(l, model.layout)) {
    throw new BiometricInputError(field, `sample has ${describeLayout(l)} but the student's model was trained on ${describeLayout(model.layout)}`);
  }
  const { x } = features(sample, model.timeScale);
  const raw = rawDistance(model, x, model.clip);
  const distance = raw / model.norm.mean;
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
    m.version === 1 &&
    typeof m.layout?.keys === "number" &&
    numArray(m.center) &&
    numArray(m.scale, m.center!.length) &&
    typeof m.norm?.mean === "number" &&
    m.norm.mean > 0 &&
    typeof m.norm?.sd === "number" &&
    typeof m.threshold === "number" &&
    typeof m.clip === "number" &&
    typeof m.timeScale === "number"
  );
}
