// Typed failures of the voice pipeline. The endpoints map every VoiceError to a 400 on the audio field
// (toAppError) so a bad clip never reaches a template; anything else escaping the pipeline is a bug (500).
import { AppError } from "../../lib/errors";

export type VoiceErrorCode =
  | "undecodable" // not WAV / Ogg / WebM, or a container or codec we do not read
  | "truncated" // a known container cut short before any usable audio
  | "too_short" // decodes, but holds less speech material than a decision needs
  | "silent" // decodes, but the signal is (near) digital silence
  | "no_speech" // has energy, but it is noise, a tone or music rather than speech
  | "model_mismatch" // a template made by another embedding model: re-enrol
  | "inconsistent_speakers" // the enrolment clips do not sound like one speaker
  | "bad_request"; // the request itself is wrong (e.g. too many enrolment clips)

export class VoiceError extends Error {
  constructor(
    readonly code: VoiceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "VoiceError";
  }
}

/** 400 body naming the request field that carried the clip (voice_base64 in the TRUSTID API). */
export function toAppError(e: VoiceError, field = "voice_base64"): AppError {
  return AppError.badField(field, e.message);
}
