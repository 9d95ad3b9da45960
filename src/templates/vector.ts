// Vector templates (Face, Voice): one L2-normalised embedding per student and modality, sealed as float32
// bytes, compared by cosine inside the object. Writes are one synchronous transaction after the (async)
// encryption, so concurrent enrolments cannot interleave inside a write: the last complete template wins.
import { FACE_OPERATING_POINTS } from "../biometrics/face/operating-points";
import { accepts, type SecurityLevel } from "../biometrics/security-level";
import { decideVoice, type VoiceDecision } from "../biometrics/voice/decide";
import { decideVoiceWindow, VOICE_WINDOW, type RecentVoiceClips } from "../biometrics/voice/window";
import { buildTemplate } from "../biometrics/face/templates";
import { digestOf, type RecentSamples } from "../biometrics/repeats";
import type { TemplateOwner } from "./client";
import { openTemplateVector } from "./open-template";
import { sealVector } from "./seal/at-rest";
import type { TemplateStore } from "./store";
import type { EnrolResult, ModelEnrolResult, VerifyResult, VoiceVerifyResult } from "./types";

/** Builds one face template from the embeddings of the good enrolment images and replaces the old one. */
export async function enrolFace(store: TemplateStore, owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<EnrolResult> {
  if (embeddings.length === 0) throw new Error("no embeddings");
  const built = buildTemplate(embeddings);
  if (!built.ok) return { ok: false, reason: "inconsistent_set", minAgreement: built.minAgreement, pair: built.pair };
  const sealed = await sealVector(store.templateSecret(), { ...owner, biometricType: "Face", modelId }, built.template);
  const digests = await Promise.all(embeddings.map(digestOf));
  return store.transaction(() => {
    store.checkOwner(owner, true);
    const version = store.bumpVersion("Face");
    store.putTemplate("Face", modelId, sealed, embeddings.length, now, version);
    store.replaceEnrolmentDigests("Face", digests);
    return { ok: true as const, samples: embeddings.length, version, createdAt: now };
  });
}

/** The stored vector of a type, opened; or why there is none to compare with. */
async function storedVector(
  store: TemplateStore,
  owner: TemplateOwner,
  biometricType: "Face" | "Voice",
  modelId: string,
): Promise<{ vector: Float32Array; version: number; createdAt: number } | { status: "not_enrolled" } | { status: "reenrolment_required"; enrolledModelId: string }> {
  store.checkOwner(owner, false);
  const row = store.template(biometricType);
  if (!row) return { status: "not_enrolled" };
  // Embeddings of different models live in different spaces: comparing them would be meaningless.
  if (row.model_id !== modelId) return { status: "reenrolment_required", enrolledModelId: row.model_id };
  const vector = await openTemplateVector(store, owner, row);
  // Sealed under a key this server no longer has (./open-template.ts): the student must register again.
  return vector ? { vector, version: row.version, createdAt: row.created_at } : { status: "reenrolment_required", enrolledModelId: row.model_id };
}

/** Exam monitoring's digests of the student's recent samples (../biometrics/repeats.ts, kept in the object's storage) and the exam. */
export type RepeatCheck = { recent: RecentSamples; examId: number; now: number };

/**
 * How long ago the sample was first sent when it is a copy: of one of the samples the template was enrolled from
 * (any verification: the enrolment picture or clip sent again is not a new capture, src/biometrics/repeats.ts), or
 * with `repeats` (exam monitoring) of one of the exam's recent samples (which remembers it either way).
 */
async function copiedAfterMs(store: TemplateStore, type: "Face" | "Voice", embedding: number[], enrolledAt: number, repeats?: RepeatCheck): Promise<number | null> {
  const digest = await digestOf(embedding); // once for both checks: this runs on every monitoring frame
  const recent = repeats ? repeats.recent.checkDigest(type === "Face" ? "face" : "voice", repeats.examId, repeats.now, digest) : null;
  if (store.isEnrolmentSample(type, digest)) return Math.max(0, (repeats?.now ?? Date.now()) - enrolledAt);
  return recent;
}

/**
 * 1:1: compares the embedding with this student's face template only, at the level's threshold. A copy of an
 * enrolment picture, or with `repeats` (exam monitoring) of one of the exam's recent frames, says so (`repeatedAfterMs`).
 */
export async function verifyFace(store: TemplateStore, owner: TemplateOwner, embedding: number[], modelId: string, level: SecurityLevel, repeats?: RepeatCheck): Promise<VerifyResult> {
  const stored = await storedVector(store, owner, "Face", modelId);
  if (!("vector" in stored)) return stored;
  const template = stored.vector;
  if (template.length !== embedding.length) throw new Error("stored face template does not open");
  let score = 0;
  for (let i = 0; i < template.length; i++) score += template[i]! * embedding[i]!;
  const point = FACE_OPERATING_POINTS[level];
  const repeatedAfterMs = await copiedAfterMs(store, "Face", embedding, stored.createdAt, repeats);
  return {
    status: accepts(point, score) ? "match" : "no_match",
    score,
    threshold: point.threshold,
    level,
    templateVersion: stored.version,
    ...(repeatedAfterMs !== null ? { repeatedAfterMs } : {}),
  };
}

/** Replaces the voice template with the normalised mean of the clips' embeddings; the version goes up. */
export async function enrolVoice(store: TemplateStore, owner: TemplateOwner, embeddings: number[][], modelId: string, now: number): Promise<ModelEnrolResult> {
  const dim = embeddings[0]?.length ?? 0;
  if (dim === 0 || embeddings.some((e) => e.length !== dim || !e.every(Number.isFinite))) throw new Error("bad voice embeddings");
  const mean = new Float32Array(dim);
  for (const e of embeddings) for (let i = 0; i < dim; i++) mean[i] = mean[i]! + e[i]!;
  const norm = Math.hypot(...mean);
  if (!(norm > 0)) throw new Error("voice embeddings cancel out");
  for (let i = 0; i < dim; i++) mean[i] = mean[i]! / norm;
  const sealed = await sealVector(store.templateSecret(), { ...owner, biometricType: "Voice", modelId }, mean);
  const digests = await Promise.all(embeddings.map(digestOf));
  return store.transaction(() => {
    store.checkOwner(owner, true);
    const version = store.bumpVersion("Voice");
    store.putTemplate("Voice", modelId, sealed, embeddings.length, now, version);
    store.replaceEnrolmentDigests("Voice", digests);
    return { ok: true as const, version, createdAt: now, samples: embeddings.length };
  });
}

/** Monitoring's window of recent clips (../biometrics/voice/window.ts): the object's memory and the exam. */
export type VoiceWindow = { recent: RecentVoiceClips; examId: number; now: number };

/**
 * 1:1: the clip's embedding against this student's voice template (null: the clip had no speech), decided on the
 * cohort-normalised score at the level's threshold (src/biometrics/voice/decide.ts); the raw cosine is kept too.
 * With a `window` (exam monitoring) the decision is on the mean of this clip and the exam's recent ones, and the
 * clip joins the window. A copy of an enrolment clip, or with `repeats` (exam monitoring, also the oral exam's clips)
 * of one of the exam's recent clips, says so (`repeatedAfterMs`); a repeated clip is decided alone and does not join
 * the window (copies would fill it).
 */
export async function verifyVoice(
  store: TemplateStore,
  owner: TemplateOwner,
  embedding: number[] | null,
  modelId: string,
  level: SecurityLevel,
  window?: VoiceWindow,
  repeats?: RepeatCheck,
): Promise<VoiceVerifyResult> {
  store.checkOwner(owner, false);
  const row = store.template("Voice");
  if (!row) return { status: "not_enrolled" };
  if (row.model_id !== modelId) return { status: "reenrolment_required", enrolledModelId: row.model_id };
  // Checked after the model: a clip without speech says nothing, but a stale template must still be reported.
  if (embedding === null) return { status: "no_voice" };
  const template = await openTemplateVector(store, owner, row);
  if (!template) return { status: "reenrolment_required", enrolledModelId: row.model_id }; // unreadable: ./open-template.ts
  if (template.length !== embedding.length) throw new Error("stored voice template does not open");
  const repeatedAfterMs = await copiedAfterMs(store, "Voice", embedding, row.created_at, repeats);
  const answer = (d: VoiceDecision) =>
    ({ status: d.isMatch ? "match" : "no_match", score: d.normalised, rawScore: d.raw, threshold: d.threshold, level, templateVersion: row.version }) as const;
  if (!window || repeatedAfterMs !== null) {
    return { ...answer(decideVoice(template, embedding, level)), ...(repeatedAfterMs !== null ? { repeatedAfterMs } : {}) };
  }
  const clip = Float32Array.from(embedding);
  const d = decideVoiceWindow(template, clip, window.recent.earlier(window.examId, row.version, window.now, clip), level);
  window.recent.add(window.examId, row.version, window.now, clip);
  return { ...answer(d), window: { clips: d.windowClips, clipScore: d.clipScore, floor: VOICE_WINDOW.floor, belowFloor: d.belowFloor } };
}
