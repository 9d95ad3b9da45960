// Online handwriting (signatures): what the biometrics endpoints call for biometric_type=Handwriting.
// Parse each uploaded trajectory, enrol from HANDWRITING_MIN_REFERENCES or more, verify one against the model.
export { parseTrajectory, HANDWRITING_LIMITS, type PenTrajectory, type TrajectoryParseOptions } from "./parse";
export {
  enrollHandwriting,
  enrollHandwritingReferences,
  handwritingReference,
  verifyHandwriting,
  isHandwritingModel,
  isEngineHandwritingModel,
  HANDWRITING_MIN_REFERENCES,
  HANDWRITING_MAX_REFERENCES,
  HANDWRITING_MAX_TOTAL_POINTS,
  newestReferencesWithinBudget,
  sameReference,
  HANDWRITING_ENROLMENT_SESSION_MS,
  DEFAULT_HANDWRITING_PARAMS,
  HANDWRITING_PARAMS_WITHOUT_PRESSURE,
  handwritingParamsFor,
  type HandwritingModel,
  type HandwritingReference,
  type HandwritingParams,
  type HandwritingScore,
  type HandwritingVerifyOptions,
} from "./model";
export {
  HANDWRITING_OPERATING_POINTS,
  HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE,
  HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE_PEN_LIFT,
  handwritingOperatingPoint,
  type HandwritingOperatingPoint,
} from "./operating-points";
export { BiometricInputError } from "../input-error";
