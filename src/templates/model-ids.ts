// The one registry of the model each modality runs on this server now. A stored template names the model it
// was built with; one of another model asks for re-enrolment instead of being compared with a different
// yardstick. The ids are defined by the engines (src/biometrics/**); this file only gathers them.
import { FACE_MODEL_ID } from "../biometrics/face/policy";
import { HANDWRITING_MODEL_ID, KEYSTROKE_MODEL_ID } from "../biometrics/signal-models";
// Only the voice model's descriptor JSON: this module imports no audio decoder.
import { DEFAULT_VOICE_MODEL_ID } from "../biometrics/voice/model";
import type { BiometricType, StoredBiometricType } from "./types";

export const CURRENT_MODEL_IDS = {
  Face: FACE_MODEL_ID,
  Voice: DEFAULT_VOICE_MODEL_ID,
  Handwriting: HANDWRITING_MODEL_ID,
  Interaction: KEYSTROKE_MODEL_ID,
} as const satisfies Record<StoredBiometricType, string>;

/** The modalities the wallet can export, with their current models (the keystroke model stays on the server). */
export const WALLET_MODEL_IDS: Partial<Record<BiometricType, string>> = {
  Face: CURRENT_MODEL_IDS.Face,
  Voice: CURRENT_MODEL_IDS.Voice,
  Handwriting: CURRENT_MODEL_IDS.Handwriting,
};
