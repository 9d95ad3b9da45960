// Keystroke dynamics: what the /biometrics/interaction/* endpoints call. Parse the uploaded dataset, then train
// (>= KEYSTROKE_MIN_TRAINING_SAMPLES samples) or score against the stored model.
export {
  parseKeystrokeDataset,
  KEYSTROKE_LIMITS,
  type KeystrokeSample,
  type KeystrokeLayout,
  type KeystrokeParseOptions,
} from "./parse";
export {
  trainKeystrokeModel,
  closestTrainingTyping,
  onSharedMeasurements,
  scoreKeystroke,
  scoreKeystrokeSamples,
  isKeystrokeModel,
  KEYSTROKE_MIN_TRAINING_SAMPLES,
  DEFAULT_KEYSTROKE_PARAMS,
  type KeystrokeModel,
  type KeystrokeParams,
  type KeystrokeScore,
  type KeystrokeScoreOptions,
} from "./model";
export { KEYSTROKE_OPERATING_POINTS, KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY, keystrokeOperatingPoint } from "./operating-points";
export { BiometricInputError } from "../input-error";
