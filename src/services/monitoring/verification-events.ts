// /biometrics/verify with a `monitoring_type`: the verification is also an observation of the exam the
// student is sitting, recorded and turned into alerts exactly as the monitoring endpoints do
// (./results.ts). The exam is the one named (`exam_id`), else the one the student has joined and not
// left while it runs; with neither there is no exam to record against and nothing is recorded.
import type { Db } from "../../db/client";
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

/**
 * Records the verification as a monitoring event of the exam (400 when the named exam is not running, as
 * the monitoring endpoints answer). Returns the alerts raised, or null when there was no exam to record against.
 * `decision`: the verification's record (docs/decisions.md), written with the event as a monitoring decision of
 * the exam, or alone when there is no exam.
 */
export async function recordVerification(
  db: Db,
  caller: Caller,
  input: { monitoringType: MonitoringScope["monitoringType"]; examId?: number | undefined; observation: VerificationObservation; decision?: DecisionInsert },
  now: number,
): Promise<{ examId: number; alerts: RaisedAlert[] } | null> {
  const examId = input.examId ?? (await examBeingSat(db, caller));
  if (examId === null) {
    if (input.decision) await insertDecision(db, input.decision);
    return null;
  }
  const { exam } = await startedExamEnrolment(db, caller, examId, now); // 404 / 400 like the monitoring endpoints
  const scope: MonitoringScope = {
    institutionId: caller.institutionId,
    examId: exam.id,
    studentId: caller.userId,
    source: "server",
    monitoringType: input.monitoringType,
  };
  const decision = input.decision;
  const { alerts } = await recordMonitoringResult(db, scope, resultOf(input.observation), now, { verify: input.observation }, undefined, (raised) =>
    decision ? [{ ...decision, examId: exam.id, action: "monitoring", alertsRaised: raised.length > 0 ? raised.map((a) => ({ reason: a.reason, detail: a.detail })) : null }] : [],
  );
  return { examId: exam.id, alerts };
}
