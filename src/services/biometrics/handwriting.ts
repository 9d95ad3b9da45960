// Handwriting (online signatures) through /biometrics/register and /biometrics/verify. The sample field carries
// base64 of the trajectory text. Register takes the whole enrolment in one request (a JSON array of 3-10
// signatures, or the field repeated), which replaces the model at once; or one or two signatures per request,
// which the student's Durable Object collects into one enrolment (HANDWRITING_ENROLMENT_SESSION_MS) and turns into the model
// from the third on, so a client that sends samples one by one, as it does for a face, enrols too. Verify takes one
// signature. Parsing happens here; the model is built, stored sealed and only read in the Durable Object.
// Bad input is a 400 before the Durable Object is called, so a refused request changes no template.
import {
  BiometricInputError,
  handwritingReference,
  HANDWRITING_MAX_REFERENCES,
  HANDWRITING_MIN_REFERENCES,
  parseTrajectory,
  type PenTrajectory,
} from "../../biometrics/handwriting";
import { ownerOf, templatesOf } from "../../templates/client";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import type { SecurityLevel } from "../../biometrics/security-level";
import type { HandwritingRegisterResult, ModelVerifyResult } from "../../templates/types";
import type { Bindings } from "../../env";
import { AppError } from "../../lib/errors";
import type { Caller } from "../../types";
import { sampleTextFromField } from "./samples";

/** Largest decoded handwriting payload (an enrolment of 10 long signatures fits in a fraction of it). */
export const MAX_HANDWRITING_BYTES = 4 * 1024 * 1024;
const MEDIA_TYPES = ["application/json", "text/plain", "text/csv"];

const invalid = (field: string, detail: string, message = "The handwriting sample is not valid") =>
  AppError.validation({ badFormatted: [field], details: { [field]: [detail] } }, message);

/** Base64 (or data: URI) of the trajectory text, decoded. */
export function handwritingText(field: string, value: string): string {
  return sampleTextFromField(field, value, { maxBytes: MAX_HANDWRITING_BYTES, mediaTypes: MEDIA_TYPES, what: "handwriting sample" });
}

/** A JSON value that is one point ({t, x, y} or [t, x, y, p]) rather than one trajectory. */
const isPoint = (v: unknown) =>
  Array.isArray(v) ? v.every((x) => typeof x === "number" || typeof x === "string") : v !== null && typeof v === "object" && !("points" in v);

/**
 * The signatures of one register request. Each field value holds one trajectory (JSON points, `{"points": [...]}`
 * or the text rows) or a list of them (a JSON array of trajectories, or `{"samples": [...]}`); the field may be
 * repeated. 1-10 signatures in all.
 */
export function parseRegisterSignatures(field: string, texts: string[]): PenTrajectory[] {
  const values: unknown[] = [];
  for (const text of texts) {
    const trimmed = text.replace(/^\uFEFF/, "").trim();
    if (!trimmed.startsWith("[") && !trimmed.startsWith("{")) {
      values.push(text); // text rows: one trajectory (the parser names any problem)
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw invalid(field, "The handwriting sample looks like JSON but does not parse.");
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "samples" in value) {
      const list = (value as { samples: unknown }).samples;
      if (!Array.isArray(list)) throw invalid(field, `"samples" must be a list of trajectories.`);
      values.push(...list);
    } else if (Array.isArray(value) && value.length > 0 && !isPoint(value[0])) {
      values.push(...value);
    } else {
      values.push(value);
    }
  }
  if (values.length > HANDWRITING_MAX_REFERENCES) {
    throw invalid(field, `At most ${HANDWRITING_MAX_REFERENCES} signatures per enrolment; got ${values.length}.`);
  }
  const several = values.length > 1;
  const signatures = values.map((v, i) => {
    const where = several ? `signature ${i + 1}: ` : "";
    try {
      // The engine's one duration limit (HANDWRITING_LIMITS.maxDurationMs, 30 s: slow skilled forgeries are scored).
      return parseTrajectory(v, { field });
    } catch (e) {
      if (e instanceof BiometricInputError) throw invalid(field, `${where}${e.message}`);
      throw e;
    }
  });
  if (signatures.some((sig) => sig.hasPressure !== signatures[0]!.hasPressure)) {
    throw invalid(field, "Either every signature of an enrolment has pen pressure or none has.");
  }
  return signatures;
}

/** One signature (JSON or the text rows of docs/handwriting.md). */
export function parseVerificationSignature(field: string, text: string): PenTrajectory {
  try {
    const value: unknown = (() => {
      const t = text.trim();
      if (!t.startsWith("[")) return text;
      try {
        return JSON.parse(t);
      } catch {
        return text; // the parser names the problem
      }
    })();
    if (Array.isArray(value) && value.length > 0 && !isPoint(value[0])) {
      throw invalid(field, "Handwriting verification takes one signature (one trajectory), not a list of them; a signature pad's strokes are one signature: join them into one trajectory, in time order (the pen lifts stay as time gaps).");
    }
    return parseTrajectory(value, { field });
  } catch (e) {
    if (e instanceof BiometricInputError) throw invalid(field, e.message);
    throw e;
  }
}

export type HandwritingEnrolment = Exclude<HandwritingRegisterResult, { status: "bad_input" }>;

/**
 * Registers the request's signatures: 3-10 at once replace the writer model; one or two join the student's
 * enrolment session, and the model is (re)built from the session once it holds 3 (docs/handwriting.md).
 */
export async function registerHandwriting(env: Bindings, caller: Caller, field: string, texts: string[], now: number): Promise<HandwritingEnrolment> {
  const signatures = parseRegisterSignatures(field, texts);
  const batch = { hasPressure: signatures[0]!.hasPressure, references: signatures.map((sig) => handwritingReference(sig)) };
  const owner = ownerOf(caller);
  const replace = signatures.length >= HANDWRITING_MIN_REFERENCES;
  const r = await templatesOf(env, owner).registerHandwriting(owner, CURRENT_MODEL_IDS.Handwriting, batch, replace, now, field);
  if (r.status === "bad_input") throw invalid(field, r.message, "The handwriting samples cannot be enrolled");
  return r;
}

export type HandwritingVerification = { isMatch: boolean; score: number; distance: number; threshold: number; level: SecurityLevel; templateVersion: number };

/** Maps the Durable Object's answer for a model type to a decision, or the documented errors. */
export function decisionOf(type: "Handwriting" | "Interaction", field: string, v: ModelVerifyResult, registerHint: string) {
  if (v.status === "not_enrolled") throw AppError.notFound("biometric", type, `No ${type} model is registered for this student; ${registerHint} first`);
  if (v.status === "reenrolment_required") {
    throw AppError.validation(
      { badFormatted: ["biometric_type"], details: { biometric_type: [`reenrolment_required: the ${type} model can no longer be used (built by an older engine, or sealed under a template key this server no longer has); ${registerHint} again`] } },
      `${type} re-enrolment required`,
    );
  }
  if (v.status === "bad_input") throw invalid(field, v.message, `The ${type === "Handwriting" ? "handwriting sample" : "typing dataset"} cannot be compared with the registered model`);
  return v;
}

/** 1:1: one signature against the caller's own writer model. */
export async function verifyHandwritingSample(env: Bindings, caller: Caller, field: string, text: string, level: SecurityLevel): Promise<HandwritingVerification> {
  const signature = parseVerificationSignature(field, text);
  const owner = ownerOf(caller);
  const v = decisionOf("Handwriting", field, await templatesOf(env, owner).verifyHandwriting(owner, signature, CURRENT_MODEL_IDS.Handwriting, field, level), "register Handwriting");
  return { isMatch: v.status === "match", score: v.score, distance: v.distance, threshold: v.threshold, level: v.level, templateVersion: v.templateVersion };
}
