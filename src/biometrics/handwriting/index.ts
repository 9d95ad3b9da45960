// Online handwriting (signatures): what the biometrics endpoints call for biometric_type=Handwriting.
// Parse each uploaded trajectory, enrol from HANDWRITING_MIN_REFERENCES or more, verify one against the model.
export { parseTrajectory, HANDWRITING_LIMITS, type PenTrajectory, type TrajectoryParseOptions } from "./parse";
export {
  enrollHandwriting,
  verifyHandwriting,
  isHandwritingModel,
  HANDWRITING_MIN_REFERENCES,
  HANDWRITING_MAX_REFERENCES,
  DEFAULT_HANDWRITING_PARAMS,
  type HandwritingModel,
  type HandwritingParams,
  type HandwritingScore,
} from "./model";
export { BiometricInputError } from "../input-error";
