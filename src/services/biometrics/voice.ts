// Voice through /biometrics/register and /biometrics/verify. Decoding (WAV, Ogg/Opus, WebM/Opus), fbank, voice
// detection and the speaker embedding run in the inference Worker (`analyseVoice`); the template is a sealed
// vector in the student's Durable Object, like Face. A clip that cannot be used is a 400 before the object is
// written; at verification a clip without speech is an answer (`is_voice_detected: false`), not an error.
import { repeatedPair } from "../../biometrics/repeats";
import type { VoiceAnalysis } from "../../biometrics/voice/analyse";
import { inconsistencyMessage, inconsistentPair } from "../../biometrics/voice/consistency";
import { type Bindings, loadConfig } from "../../env";
import { AppError } from "../../lib/errors";
import { withTimeout } from "../../lib/overload";
import type { Caller } from "../../types";
import { sampleBytesFromField } from "./samples";
import { ownerOf, templatesOf } from "../../templates/client";
import type { SecurityLevel } from "../../biometrics/security-level";
import { VOICE_OPERATING_POINTS } from "../../biometrics/voice/operating-points";

/** = the engine's MAX_ENROL_CLIPS (not imported: that module pulls the decoders into the API Worker's bundle). */
const MAX_ENROL_CLIPS = 10;

/** Largest decoded clip (60 s of 48 kHz stereo 16-bit PCM is ~11 MB; the form limit caps it lower anyway). */
export const MAX_AUDIO_BYTES = 6 * 1024 * 1024;
// Any audio or video type (a recording's label says little: the decoder tells WAV, Ogg and WebM from the bytes, and
// names what it cannot read, e.g. Safari's MP4/AAC, with advice), and untyped bytes.
const AUDIO_FAMILIES = ["audio/", "video/"];

export function audioBytesFromField(field: string, value: string): Uint8Array {
  return sampleBytesFromField(field, value, { maxBytes: MAX_AUDIO_BYTES, mediaTypes: ["application/octet-stream"], mediaFamilies: AUDIO_FAMILIES, what: "audio clip" });
}

function inference(env: Bindings) {
  if (!env.INFERENCE) throw new AppError(503, "Voice verification is not available on this server");
  return env.INFERENCE;
}

const clipError = (field: string, detail: string, message: string) => AppError.validation({ badFormatted: [field], details: { [field]: [detail] } }, message);

/** Decodes, detects speech and embeds one clip in the inference Worker. */
export async function analyseVoice(env: Bindings, clip: Uint8Array): Promise<VoiceAnalysis> {
  // Bounded: a stuck or overloaded inference Worker is a 503, not a hung request.
  const analysis: Promise<VoiceAnalysis> = (async () => inference(env).analyseVoice(clip))();
  return withTimeout(analysis, loadConfig(env).load.inferenceTimeoutMs, "Voice analysis is taking too long; try again shortly");
}

export type VoiceEnrolment = { clips: number; speechSeconds: number; version: number };

/** Enrols the caller's voice from 1-10 clips (each needs speech, all of one speaker), replacing any previous
 * template. */
export async function registerVoice(env: Bindings, caller: Caller, field: string, clips: Uint8Array[], now: number): Promise<VoiceEnrolment> {
  if (clips.length > MAX_ENROL_CLIPS) throw clipError(field, `at most ${MAX_ENROL_CLIPS} clips per enrolment (got ${clips.length})`, "Too many voice clips");
  const embeddings: number[][] = [];
  let modelId = "";
  let consistencyThreshold: number | undefined;
  let speech = 0;
  for (const [i, clip] of clips.entries()) {
    const at = clips.length > 1 ? `clip ${i + 1}: ` : "";
    const a = await analyseVoice(env, clip); // one at a time: each holds decoded audio in the inference isolate
    if (!a.ok) throw clipError(field, `${a.code}: ${at}${a.message}`, "The voice clip cannot be used");
    if (!a.isVoiceDetected || !a.embedding) {
      throw clipError(field, `${a.reasonCode ?? "no_speech"}: ${at}${a.reason ?? "no speech detected"}`, "No voice was detected in the clip").measured({ speech_seconds: a.speechSeconds });
    }
    embeddings.push(a.embedding);
    modelId = a.modelId;
    consistencyThreshold = a.enrolConsistencyThreshold;
    speech += a.speechSeconds;
  }
  // The same recording sent twice (src/biometrics/repeats.ts): its template would be one clip's, reported as several.
  const copy = repeatedPair(embeddings, "voice");
  if (copy) throw clipError(field, `repeated_sample: clips ${copy[0] + 1} and ${copy[1] + 1} are the same recording; send different recordings`, "The voice clips are not different recordings");
  // Before anything is stored: a set that is not one speaker would make a template between two voices.
  const pair = consistencyThreshold === undefined ? null : inconsistentPair(embeddings, consistencyThreshold);
  if (pair) throw clipError(field, `inconsistent_speakers: ${inconsistencyMessage(pair, consistencyThreshold!)}`, "The voice clips are not of one speaker");
  const owner = ownerOf(caller);
  const r = await templatesOf(env, owner).enrolVoice(owner, embeddings, modelId, now);
  return { clips: r.samples, speechSeconds: speech, version: r.version };
}

export type VoiceVerification = {
  isVoiceDetected: boolean;
  isMatch: boolean;
  /** The cohort-normalised score the decision is taken on (null without speech); `rawScore` the plain cosine. */
  score: number | null;
  rawScore: number | null;
  threshold: number;
  level: SecurityLevel;
  /** The version of the template compared with (absent when there was no speech to compare). */
  templateVersion?: number;
  speechSeconds: number;
  reason?: string;
  /** What about the recording may explain a refusal (captureHint), for the answer's message; never part of the decision. */
  hint?: string;
};

const NOISY_BELOW_DB = 18;
/**
 * Speech whose energy above 4 kHz is this far under its 300-3400 Hz band is telephone-band audio whatever its file's
 * rate: the 301 shared utterances measure -15.7 to 24.2 dB (through Opus at 16 kb/s -13.9 to 12.0), the same resampled
 * to 8 kHz and back -46.8 to -29.1 (a probe's Bluetooth-headset-like clips were refused with no hint).
 */
const TELEPHONE_BAND_BELOW_DB = -22;

/**
 * A likely cause of a refusal that the student can fix, read from the clip: a sample rate under 16 kHz (telephone
 * audio: the model reads up to 8 kHz of spectrum) or telephone-band audio in a wider file, or speech less than 18 dB
 * above the background (eval clips: 0 to 2 of 50 clean ones below it, every one with white noise at 10 dB SNR; a
 * black-box probe saw 40-100 % of genuine clips refused with noise at 20-5 dB). Wording only: the decision is the score's.
 */
export function captureHint(a: { sourceRate: number; dynamicRangeDb: number; highBandDb?: number }): string | undefined {
  if (a.sourceRate < 16000) return `the recording is sampled at ${a.sourceRate / 1000} kHz (telephone quality); record at 16 kHz or more`;
  if (a.highBandDb !== undefined && a.highBandDb < TELEPHONE_BAND_BELOW_DB) {
    return "the recording holds almost no sound above 4 kHz (telephone quality, as from a phone call or a Bluetooth headset in hands-free mode); record with the computer's or the phone's own microphone";
  }
  if (a.dynamicRangeDb < NOISY_BELOW_DB) return `the recording seems noisy (speech only ${a.dynamicRangeDb.toFixed(0)} dB above the background); record in a quieter place, close to the microphone`;
  return undefined;
}

const hintOf = (a: { sourceRate: number; dynamicRangeDb: number; highBandDb?: number; reasonCode?: string }) => {
  // Not for a silent clip: "noisy" would send the student to a quieter room when no sound reached the microphone.
  const hint = a.reasonCode === "silent" ? undefined : captureHint(a);
  return hint ? { hint } : {};
};

/** 1:1: one clip against the caller's own voice template. */
export async function verifyVoiceClip(env: Bindings, caller: Caller, field: string, clip: Uint8Array, level: SecurityLevel): Promise<VoiceVerification> {
  const a = await analyseVoice(env, clip);
  if (!a.ok) throw clipError(field, `${a.code}: ${a.message}`, "The voice clip cannot be used");
  const owner = ownerOf(caller);
  const v = await templatesOf(env, owner).verifyVoice(owner, a.embedding, a.modelId, level);
  if (v.status === "not_enrolled") throw AppError.notFound("biometric", "Voice", "No Voice model is registered for this student; register Voice first");
  if (v.status === "reenrolment_required") {
    throw AppError.validation(
      { badFormatted: ["biometric_type"], details: { biometric_type: ["reenrolment_required: the registered voice model can no longer be used (made with an older model version, or sealed under a template key this server no longer has); register Voice again"] } },
      "Voice re-enrolment required",
    );
  }
  if (v.status === "no_voice") {
    return { isVoiceDetected: false, isMatch: false, score: null, rawScore: null, threshold: VOICE_OPERATING_POINTS[level].threshold, level, speechSeconds: a.speechSeconds, reason: a.reason, ...hintOf(a) };
  }
  // Not judged: the clip is one the template was made from (src/biometrics/repeats.ts), not one recorded now.
  if (v.repeatedAfterMs !== undefined) {
    throw clipError(field, "repeated_sample: the clip is one of those the voice model was registered with; a verification needs a recording made now", "The clip is a copy of a registration clip");
  }
  const isMatch = v.status === "match";
  return {
    isVoiceDetected: true,
    isMatch,
    score: v.score,
    rawScore: v.rawScore,
    threshold: v.threshold,
    level,
    templateVersion: v.templateVersion,
    speechSeconds: a.speechSeconds,
    ...(isMatch ? {} : hintOf(a)),
  };
}

/** Whether the inference Worker can embed voices now. */
export async function voiceAvailable(env: Bindings): Promise<boolean> {
  try {
    return env.INFERENCE ? (await env.INFERENCE.voiceStatus()).available : false;
  } catch {
    return false;
  }
}
