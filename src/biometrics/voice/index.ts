// Public surface of the voice engine (see voice.ts for the call sequence).
export { analyseClip, assertSpeech, enrolVoice, extendTemplate, verifyVoice, meanEmbedding } from "./voice";
export type { VoiceTemplate, VoiceVerification, AnalysedClip } from "./voice";
export { MIN_CLIP_SECONDS, MAX_CLIP_SECONDS, MIN_SPEECH_SECONDS, MAX_ENROL_CLIPS } from "./voice";
export { createVoiceEmbedder, wespeakerInput } from "./embedder";
export type { RunOnnx, OnnxTensorLike, VoiceModel, VoiceEmbedder, VoiceModelKind } from "./embedder";
export { voiceLdaModel, wespeakerModel, DEFAULT_VOICE_MODEL_ID, VOICE_LDA_META } from "./model";
export { setOpusWasm, hasOpusWasm } from "./opus";
export { decodeAudio, sniffContainer, TARGET_RATE, MAX_DECODE_SECONDS } from "./decode";
export { VoiceError, toAppError } from "./errors";
export { inconsistentPair, inconsistencyMessage, type InconsistentPair } from "./consistency";
export type { VoiceErrorCode } from "./errors";
