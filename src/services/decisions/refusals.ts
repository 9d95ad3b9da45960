// Refusals the decision paths answer by throwing (a 400 naming a quality problem, a 404 "no model
// registered"): recordingRefusal runs the path and, when it throws one of these, records the refusal as a
// decision before the error goes on to the client. Only biometric refusals are recorded; a malformed request
// (bad base64, an undecodable or oversized sample, a missing field) is the client's mistake, not a decision.
import type { Db } from "../../db/client";
import { AppError } from "../../lib/errors";
import { type DecisionInput, recordDecision } from "./record";

/** Reason codes the biometric services put first in a 400's field message (`no_face: ...`). */
const REFUSAL_CODES = new Set([
  "no_face", "multiple_faces", "face_too_small", "liveness_failed", "inconsistent_set", "reenrolment_required",
  "too_short", "silent", "no_speech", "inconsistent_speakers", "repeated_sample",
]);

/** The refusal an error stands for, if it is a biometric one. */
export function refusalOf(e: unknown): { outcome: "quality" | "not_enrolled"; reason: string; quality?: Record<string, number | boolean | string | null> } | null {
  if (!(e instanceof AppError)) return null;
  if (e.status === 404 && e.body.kind === "not_found" && e.body.resourceName === "biometric") return { outcome: "not_enrolled", reason: "not_enrolled" };
  if (e.status !== 400 || e.body.kind !== "validation") return null;
  for (const messages of Object.values(e.body.details)) {
    for (const m of messages) {
      const code = /^([a-z_]+):/.exec(m)?.[1];
      if (code && REFUSAL_CODES.has(code)) return { outcome: "quality", reason: code, ...(e.measurements ? { quality: e.measurements } : {}) };
    }
  }
  return null;
}

/** Runs a decision path; a biometric refusal it throws is recorded (on its own: it has no other effect), then rethrown. */
export async function recordingRefusal<T>(db: Db, d: Omit<DecisionInput, "outcome" | "reason">, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const r = refusalOf(e);
    // What was measured (faces seen, liveness score) goes with the refusal, as a monitoring refusal's does (a probe
    // found refused verifications' records without their liveness score).
    if (r) await recordDecision(db, { ...d, outcome: r.outcome, reason: r.reason, ...(r.quality ? { quality: { ...d.quality, ...r.quality } } : {}) });
    throw e;
  }
}
