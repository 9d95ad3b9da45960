// Signal models (Handwriting writer models, Interaction keystroke models): sealed JSON in the same table as
// the vectors (so list and revoke cover them), built from validated samples, and only ever read inside the
// object to verify. Handwriting signatures can also be collected over several requests (an enrolment session).
import {
  enrollHandwritingReferences, HANDWRITING_ENROLMENT_SESSION_MS, HANDWRITING_MIN_REFERENCES, isHandwritingModel, newestReferencesWithinBudget, sameReference,
  verifyHandwriting as scoreHandwriting, type HandwritingModel, type HandwritingReference, type PenTrajectory,
} from "../biometrics/handwriting";
import { handwritingOperatingPoint } from "../biometrics/handwriting/operating-points";
import { BiometricInputError } from "../biometrics/input-error";
import { closestTrainingTyping, isKeystrokeModel, onSharedMeasurements, scoreKeystrokeSamples, type KeystrokeSample } from "../biometrics/keystroke";
import { REPLAY_LIMITS } from "../biometrics/repeats";
import { keystrokeOperatingPoint } from "../biometrics/keystroke/operating-points";
import type { SecurityLevel } from "../biometrics/security-level";
import type { TemplateOwner } from "./client";
import { openTemplateJson } from "./open-template";
import { openJson, sealJson } from "./seal/at-rest";
import type { TemplateStore } from "./store";
import type { HandwritingBatch, HandwritingRegisterResult, ModelBiometricType, ModelEnrolResult, ModelVerifyResult } from "./types";

/** Associated-data label of a session's seal: a session can never be opened as a model (or the reverse). */
const SESSION_SEAL = "Handwriting enrolment session";

/** Stores a model of this type, replacing the previous one; the version goes up on every enrolment. */
export async function enrolModel(store: TemplateStore, owner: TemplateOwner, biometricType: ModelBiometricType, modelId: string, model: unknown, samples: number, now: number): Promise<ModelEnrolResult> {
  const valid = biometricType === "Handwriting" ? isHandwritingModel(model) : isKeystrokeModel(model);
  if (!valid) throw new Error(`not a ${biometricType} model`);
  const sealed = await sealJson(store.templateSecret(), { ...owner, biometricType, modelId }, model);
  // Synchronous from here, as in enrolFace: concurrent enrolments serialise and the last complete one wins.
  return store.transaction(() => {
    store.checkOwner(owner, true);
    const version = store.bumpVersion(biometricType);
    store.putTemplate(biometricType, modelId, sealed, samples, now, version);
    return { ok: true as const, version, createdAt: now, samples };
  });
}

/**
 * Handwriting registration: the request's signatures join the student's enrolment session (or replace it when
 * the request alone holds enough to enrol); once the session holds HANDWRITING_MIN_REFERENCES the writer model
 * is built from it and replaces the old one. Runs in the object so that concurrent requests of one student serialise.
 */
export async function registerHandwriting(store: TemplateStore, owner: TemplateOwner, modelId: string, batch: HandwritingBatch, replace: boolean, now: number, field: string): Promise<HandwritingRegisterResult> {
  store.checkOwner(owner, false);
  const ctx = { ...owner, biometricType: SESSION_SEAL, modelId };
  let earlier: HandwritingReference[] = [];
  if (!replace) {
    const row = store.session("Handwriting");
    if (row && row.model_id === modelId && now - row.updated_at <= HANDWRITING_ENROLMENT_SESSION_MS) {
      // A session sealed under a key this server no longer has is dropped: the signatures sent now start a new one.
      const session = (await openJson(store.templateSecrets(), ctx, new Uint8Array(row.iv), new Uint8Array(row.ciphertext)))?.value as HandwritingBatch | undefined;
      if (!session) return registerHandwriting(store, owner, modelId, batch, true, now, field);
      if (session.hasPressure !== batch.hasPressure) {
        const differs = session.hasPressure ? "have pen pressure and this one has none" : "have no pen pressure and this one has";
        return { status: "bad_input", message: `the signatures registered before this one ${differs}; send signatures from one device, or 3-10 in one request to start again` };
      }
      earlier = session.references;
    }
  }
  // A signature sent again (a client resending after a lost answer) is the same request: answered as it stands, not
  // collected twice (a copy shrinks the writer's measured variation; model.ts refuses copies in one request).
  const fresh = batch.references.filter((r) => !earlier.some((e) => sameReference(e, r)));
  if (!replace && earlier.length > 0 && fresh.length === 0) {
    const model = store.template("Handwriting");
    if (earlier.length >= HANDWRITING_MIN_REFERENCES && model) return { status: "enrolled", samples: earlier.length, version: model.version };
    return { status: "collecting", samples: earlier.length, needed: Math.max(0, HANDWRITING_MIN_REFERENCES - earlier.length) };
  }
  // The newest signatures, as many as the model's size budget holds (model.ts: a model must fit a wallet export).
  const references = newestReferencesWithinBudget([...earlier, ...fresh]);
  // Refused before anything is written: a bad enrolment leaves the session and the model as they were.
  let model: HandwritingModel | null = null;
  if (references.length >= HANDWRITING_MIN_REFERENCES) {
    try {
      model = enrollHandwritingReferences(references, batch.hasPressure, { field });
    } catch (e) {
      if (e instanceof BiometricInputError) return { status: "bad_input", message: e.message };
      throw e;
    }
  }
  const session = await sealJson(store.templateSecret(), ctx, { hasPressure: batch.hasPressure, references } satisfies HandwritingBatch);
  const sealedModel = model && (await sealJson(store.templateSecret(), { ...owner, biometricType: "Handwriting", modelId }, model));
  await store.setAlarm(Date.now() + HANDWRITING_ENROLMENT_SESSION_MS);
  return store.transaction((): HandwritingRegisterResult => {
    store.checkOwner(owner, true);
    store.putSession("Handwriting", modelId, session, now);
    if (!sealedModel) return { status: "collecting", samples: references.length, needed: HANDWRITING_MIN_REFERENCES - references.length };
    const version = store.bumpVersion("Handwriting");
    store.putTemplate("Handwriting", modelId, sealedModel, references.length, now, version);
    return { status: "enrolled", samples: references.length, version };
  });
}

/** Deletes enrolment sessions nobody added to within HANDWRITING_ENROLMENT_SESSION_MS (collected signatures are biometric data). */
export async function pruneEnrolmentSessions(store: TemplateStore): Promise<void> {
  const next = store.pruneSessions(Date.now() - HANDWRITING_ENROLMENT_SESSION_MS);
  if (next != null) await store.setAlarm(Math.max(Date.now() + 1000, next + HANDWRITING_ENROLMENT_SESSION_MS));
}

/** The stored model of this type, opened, or a status saying why there is none to use. */
async function openModel(
  store: TemplateStore,
  owner: TemplateOwner,
  biometricType: ModelBiometricType,
  modelId: string,
): Promise<{ model: unknown; version: number } | { status: "not_enrolled" } | { status: "reenrolment_required"; enrolledModelId: string }> {
  store.checkOwner(owner, false);
  const row = store.template(biometricType);
  if (!row) return { status: "not_enrolled" };
  if (row.model_id !== modelId) return { status: "reenrolment_required", enrolledModelId: row.model_id };
  const model = await openTemplateJson(store, owner, row);
  // Sealed under a key this server no longer has (./open-template.ts): the student must register again.
  if (model === null) return { status: "reenrolment_required", enrolledModelId: row.model_id };
  return { model, version: row.version };
}

/** 1:1: one signature against this student's writer model. */
export async function verifyHandwriting(store: TemplateStore, owner: TemplateOwner, trajectory: PenTrajectory, modelId: string, field: string, level: SecurityLevel): Promise<ModelVerifyResult> {
  const opened = await openModel(store, owner, "Handwriting", modelId);
  if (!("model" in opened)) return opened;
  if (!isHandwritingModel(opened.model)) throw new Error("stored Handwriting model is not a handwriting model");
  try {
    const r = scoreHandwriting(opened.model, trajectory, { field, threshold: handwritingOperatingPoint(level, opened.model).threshold });
    // A copy of a registered signature (../biometrics/repeats.ts REPLAY_LIMITS) would be the best match there is.
    if (r.closestReference < REPLAY_LIMITS.handwritingClosestReference) {
      return { status: "bad_input", message: "repeated_sample: the signature is a copy of one of the registered signatures (nobody signs the same trajectory twice); sign again" };
    }
    return { status: r.isMatch ? "match" : "no_match", score: r.score, distance: r.distance, threshold: r.threshold, level, templateVersion: opened.version };
  } catch (e) {
    if (e instanceof BiometricInputError) return { status: "bad_input", message: e.message };
    throw e;
  }
}

/** 1:1: typing samples against this student's keystroke model (their mean normalised distance decides). */
export async function testInteraction(store: TemplateStore, owner: TemplateOwner, samples: KeystrokeSample[], modelId: string, field: string, level: SecurityLevel): Promise<ModelVerifyResult> {
  const opened = await openModel(store, owner, "Interaction", modelId);
  if (!("model" in opened)) return opened;
  if (!isKeystrokeModel(opened.model)) throw new Error("stored Interaction model is not a keystroke model");
  try {
    const { model, typings } = onSharedMeasurements(opened.model, samples);
    const r = scoreKeystrokeSamples(model, typings, { field, threshold: keystrokeOperatingPoint(level, model.layout).threshold });
    // A copy of a training typing (../biometrics/repeats.ts REPLAY_LIMITS) would be the best match there is.
    const copied = typings.findIndex((s) => closestTrainingTyping(model, s) < REPLAY_LIMITS.keystrokeDistance);
    if (copied >= 0) {
      const which = samples.length > 1 ? `typing ${copied + 1}` : "the typing";
      return { status: "bad_input", message: `repeated_sample: ${which} is a copy of one of the training typings (nobody types every key to the millisecond twice); type it again` };
    }
    return {
      status: r.isMatch ? "match" : "no_match",
      score: r.score,
      distance: r.distance,
      threshold: r.threshold,
      level,
      templateVersion: opened.version,
      sampleScores: r.samples.map((x) => x.score),
    };
  } catch (e) {
    if (e instanceof BiometricInputError) return { status: "bad_input", message: e.message };
    throw e;
  }
}
