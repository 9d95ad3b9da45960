// /biometrics/verify with a `monitoring_type`: the verification is also an observation of the exam the
// student is sitting, recorded and turned into alerts exactly as the monitoring endpoints do
// (./results.ts). The exam is the one named (`exam_id`), else the one the student has joined and not
// left while it runs; with neither there is no exam to record against and nothing is recorded.
import type { Db } from "../../db/client";
import type { SecurityLevel } from "../../biometrics/security-level";
import type { Caller } from "../../types";
import { examBeingSat } from "../exams/scope";
import { startedExamEnrolment } from "./face";
import { type MonitoringResult, type MonitoringScope, type RaisedAlert, recordMonitoringResult } from "./results";
import { type DecisionInsert, insertDecision } from "../decisions/record";

export type VerificationObservation =
  | { type: "Face"; isMatch: boolean; score: number; threshold: number; liveness: number }
  | { type: "Voice"; isMatch: boolean; isVoiceDetected: boolean; score: number | null; threshold: number }
  | { type: "Handwriting"; isMatch: boolean; score: number };

/** How a verification reads as a monitoring result. Handwriting has no alert of its own: recorded only. */
function resultOf(o: VerificationObservation): MonitoringResult {
  if (o.type === "Face") return { faceDetected: true, multipleFaces: false, faceMatch: o.isMatch, faceConfidence: o.score, livenessPassed: true };
  if (o.type === "Voice") {
    return o.isVoiceDetected ? { voiceDetected: true, voiceMatch: o.isMatch, voiceConfidence: o.score ?? undefined } : { voiceDetected: false };
  }
  return {};
}

/** The exam a verification with `monitoring_type` observes, and the level it is decided at; null: none is being sat. */
export type VerificationTarget = { examId: number; securityLevel: SecurityLevel } | null;

/**
 * The exam the verification is an observation of: the one named, else the one being sat (null when none), checked
 * as the monitoring endpoints check it (404 / 400 when it is not running), before any sample is analysed. Its
 * security level is the one the verification is decided at, as in the monitoring endpoints (a probe's `standard`
 * exam saw a picture accepted there and refused here at the institution's `high`, raising a false face_mismatch).
 */
export async function verificationTarget(db: Db, caller: Caller, examId: number | undefined, now: number): Promise<VerificationTarget> {
  const id = examId ?? (await examBeingSat(db, caller));
  if (id === null) return null;
  const { exam, securityLevel } = await startedExamEnrolment(db, caller, id, now); // 404 / 400 like the monitoring endpoints
  return { examId: exam.id, securityLevel };
}

/**
 * Records the verification as a monitoring event of its target exam (verificationTarget). Returns the alerts
 * raised, or null when there was no exam to record against. `decision`: the verification's record
 * (docs/decisions.md), written with the event as a monitoring decision of the exam, or alone when there is no exam.
 */
export async function recordVerification(
  db: Db,
  caller: Caller,
  input: { monitoringType: MonitoringScope["monitoringType"]; target: VerificationTarget; observation: VerificationObservation; decision?: DecisionInsert },
  now: number,
): Promise<{ examId: number; alerts: RaisedAlert[] } | null> {
  if (input.target === null) {
    if (input.decision) await insertDecision(db, input.decision);
    return null;
  }
  const { examId } = input.target;
  const scope: MonitoringScope = { institutionId: caller.institutionId, examId, studentId: caller.userId, source: "server", monitoringType: input.monitoringType };
  const decision = input.decision;
  const { alerts } = await recordMonitoringResult(db, scope, resultOf(input.observation), now, { verify: input.observation }, undefined, (raised) =>
    decision ? [{ ...decision, examId, action: "monitoring", alertsRaised: raised.length > 0 ? raised.map((a) => ({ reason: a.reason, detail: a.detail })) : null }] : [],
  );
  return { examId, alerts };
}
