// Monitoring results -> stored events -> alerts. A result is what was observed about one student in one
// exam at one moment: computed on the student's device (POST /backend/monitoring/) or on the server
// (the face/voice biometric endpoints call recordMonitoringResult with their own results).
//
// Alerts are de-duplicated into episodes: a result that repeats a problem already seen for the same
// student, exam, reason and detail within EPISODE_GAP_MS extends that alert (occurrences + 1,
// last_seen_at = now); after a longer quiet gap the problem opens a new alert. So an instructor sees
// a short timeline per student (first seen, last seen, how often) instead of one row per frame.
import { and, desc, eq, gte, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { alerts, enrolments, monitoringEvents, users } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Person } from "../../types";
import { keyUsedForAnotherReport, storedReport } from "./replay";
import { enrolledExamFound, enrolledExamQuery, examNotFound } from "../exams/scope";
import { forbiddenAmong, policyOfRows, policyPatterns, policyPatternsQuery } from "../process-policy";
import { insertDecision, type DecisionInsert } from "../decisions/record";
import { type DecisionBase, processDecision } from "../decisions/outcomes";

export const EPISODE_GAP_MS = 2 * 60_000;
const MAX_DETAIL_LENGTH = 200;
/**
 * Forbidden processes named one alert each per report, at most; the rest are one alert "(more forbidden processes)". A report naming 500
 * matching processes raised 500 alerts each time (a probe grew one student's alerts to 15,000 in 30 reports). The
 * rest's detail is one constant, so repeats extend one episode; the decision record keeps the count of processes.
 */
export const MAX_PROCESS_ALERTS = 20;

export type AlertReason =
  | "no_face"
  | "multiple_faces"
  | "face_mismatch"
  | "liveness_failed"
  | "forbidden_process"
  | "voice_mismatch"
  | "template_missing"
  | "repeated_sample"
  | "client_error";

/** Why the server could not compare a sample at all: the student has nothing usable registered for that modality. */
export type TemplateProblem = "not_enrolled" | "reenrolment_required";

/** One observation, already interpreted (true/false means the check ran; undefined means it did not). */
export type MonitoringResult = {
  faceDetected?: boolean | undefined;
  multipleFaces?: boolean | undefined;
  /** Whether the face seen is the enrolled student's. */
  faceMatch?: boolean | undefined;
  faceConfidence?: number | undefined;
  livenessPassed?: boolean | undefined;
  voiceDetected?: boolean | undefined;
  voiceMatch?: boolean | undefined;
  voiceConfidence?: number | undefined;
  /** Errors the device (or server) ran into while checking. */
  faceError?: string | undefined;
  voiceError?: string | undefined;
  /**
   * Set by the server only: the student has no usable face / voice template, so the check could not run. A fact
   * about the registration, not the device's error (`template_missing`, not `client_error`).
   */
  faceTemplate?: TemplateProblem | undefined;
  voiceTemplate?: TemplateProblem | undefined;
  /**
   * Set by the server only: the frame / clip is a copy of one sent earlier in the exam (src/biometrics/repeats.ts),
   * so it was not judged (`repeated_sample`, never a mismatch).
   */
  faceRepeated?: boolean | undefined;
  voiceRepeated?: boolean | undefined;
  runningProcesses?: string[] | undefined;
};

export type MonitoringScope = {
  institutionId: number;
  examId: number;
  studentId: number;
  source: "device" | "server";
  monitoringType: "Identification" | "Checkup Process" | "Exam Monitoring";
};

export type RaisedAlert = { reason: AlertReason; detail: string | null };

const clip = (s: string) => (s.length > MAX_DETAIL_LENGTH ? `${s.slice(0, MAX_DETAIL_LENGTH - 1)}…` : s);

/** The problems one result shows (pure; `forbidden` are the running processes the policy forbids). */
export function alertsFor(result: MonitoringResult, forbidden: string[]): RaisedAlert[] {
  const out: RaisedAlert[] = [];
  if (result.faceTemplate !== undefined) {
    out.push({ reason: "template_missing", detail: `face: ${result.faceTemplate}` });
  } else if (result.faceError !== undefined) {
    out.push({ reason: "client_error", detail: clip(`face: ${result.faceError || "unspecified error"}`) });
  } else {
    if (result.faceRepeated === true) out.push({ reason: "repeated_sample", detail: "face" });
    if (result.faceDetected === false) out.push({ reason: "no_face", detail: null });
    if (result.multipleFaces === true) out.push({ reason: "multiple_faces", detail: null });
    // A face that is not the student's only counts when one face was seen (several faces alert above).
    if (result.faceDetected !== false && result.multipleFaces !== true && result.faceMatch === false) {
      out.push({ reason: "face_mismatch", detail: null });
    }
    if (result.livenessPassed === false) out.push({ reason: "liveness_failed", detail: null });
  }
  if (result.voiceTemplate !== undefined) {
    out.push({ reason: "template_missing", detail: `voice: ${result.voiceTemplate}` });
  } else if (result.voiceError !== undefined) {
    out.push({ reason: "client_error", detail: clip(`voice: ${result.voiceError || "unspecified error"}`) });
  } else if (result.voiceRepeated === true) {
    out.push({ reason: "repeated_sample", detail: "voice" });
  } else if (result.voiceDetected !== false && result.voiceMatch === false) {
    out.push({ reason: "voice_mismatch", detail: null });
  }
  for (const name of forbidden.slice(0, MAX_PROCESS_ALERTS)) out.push({ reason: "forbidden_process", detail: clip(name.toLowerCase()) });
  if (forbidden.length > MAX_PROCESS_ALERTS) out.push({ reason: "forbidden_process", detail: "(more forbidden processes)" });
  return out;
}

/**
 * The code of a clip's problem as the server words it ("too_short: audio is 0.50 s long; ...") for its alert's detail:
 * with the measured figures in it, one microphone problem repeating opened a new alert episode per clip instead of
 * extending one ("client_error: voice: too_short (3x)"; a probe). The answer and the stored event keep the whole text.
 */
export const clipProblemCode = (error: string) => /^([a-z_]+):/.exec(error)?.[1] ?? "unreadable";

/** An event's payload, or a function of the alerts its result raises. */
export type StoredPayload = unknown | ((raised: RaisedAlert[]) => unknown);

/**
 * Stores the result as a monitoring event and raises or extends its alerts, in ONE batch (a transaction):
 * if the database fails midway nothing is stored, so the client's retry cannot leave an event twice or
 * an event without its alerts. The caller has already checked that the student is enrolled in the exam
 * (scope is trusted). `payload` is what gets stored as the event (defaults to the result itself), or a function of the
 * alerts the result raises (a server check stores its answer with them, for a resend: replay.ts).
 * `clientKey` (the device's Idempotency-Key): a report sent again with the same key is not stored again;
 * the answer is the same as the first time.
 *
 * The batch's first statement writes, so it holds the database's write lock from its start: concurrent
 * results for the same student never both open an episode (each sees the other's alert).
 * `decide` builds the decision records of the checks behind the result from the alerts they raised
 * (docs/decisions.md); they are written in the same batch, so a replayed report records none again.
 */
export async function recordMonitoringResult(
  db: Db,
  scope: MonitoringScope,
  result: MonitoringResult,
  now: number,
  payload: StoredPayload = result,
  clientKey?: string,
  decide?: (raised: RaisedAlert[]) => DecisionInsert[],
): Promise<StoredResult> {
  const processes = result.runningProcesses ?? [];
  const forbidden =
    processes.length > 0 ? forbiddenAmong(processes, await policyPatterns(db, scope.institutionId, scope.examId)) : [];
  return storeMonitoringResult(db, scope, alertsFor(result, forbidden), now, payload, clientKey, decide);
}

/** recordMonitoringResult once the alerts are known: the one batch that stores it (see there). */
async function storeMonitoringResult(
  db: Db,
  scope: MonitoringScope,
  raised: RaisedAlert[],
  now: number,
  given: StoredPayload,
  clientKey?: string,
  decide?: (raised: RaisedAlert[]) => DecisionInsert[],
): Promise<StoredResult> {
  const payload = typeof given === "function" ? given(raised) : given;
  // The exam id is read from the enrolment in the insert itself: a report in flight while the partner deletes or moves
  // the session (or the instructor removes the student) stores nothing, instead of events and alerts of a student no
  // longer enrolled, which came back when the student was enrolled again (a probe). NULL fails the NOT NULL column.
  const enrolledExamId = sql<number>`(SELECT ${enrolments.examId} FROM ${enrolments} WHERE ${enrolments.institutionId} = ${scope.institutionId} AND ${enrolments.examId} = ${scope.examId} AND ${enrolments.studentId} = ${scope.studentId})`;
  const insertEvent = db
    .insert(monitoringEvents)
    .values({
      institutionId: scope.institutionId,
      examId: enrolledExamId,
      studentId: scope.studentId,
      source: scope.source,
      monitoringType: scope.monitoringType,
      payload,
      createdAt: now,
      clientKey: clientKey ?? null,
    })
    .returning({ id: monitoringEvents.id });
  try {
    const records = (decide?.(raised) ?? []).map((row) => insertDecision(db, row));
    const [events] = await db.batch([insertEvent, ...raised.flatMap((alert) => alertStatements(db, scope, alert, now)), ...records]);
    const event = events[0];
    if (!event) throw new Error("monitoring event insert returned nothing");
    return { eventId: event.id, alerts: raised, replayed: false };
  } catch (e) {
    if (causeMentions(e, "NOT NULL constraint failed: monitoring_events.exam_id")) throw examNotFound(scope.examId);
    if (clientKey === undefined || !isClientKeyConflict(e)) throw e;
    const first = await storedReport(db, scope.studentId, clientKey);
    if (!first) throw e;
    // A key names one report: sent again with another body it would be answered with alerts never stored (and the
    // new report lost), so it is refused and nothing of it is stored (the batch above rolled back).
    if (!sameReport(first, scope.examId, payload)) throw keyUsedForAnotherReport();
    // A server-checked sample sent twice at once was checked twice: the answer is the one stored, as for a resend.
    const answer = (first.payload as { answer?: unknown } | null)?.answer;
    return { eventId: first.id, alerts: raised, replayed: true, ...(answer !== undefined ? { storedAnswer: answer } : {}) };
  }
}

/** `storedAnswer`: a server-checked sample's first answer, when this one was the same request stored already (replay.ts). */
export type StoredResult = { eventId: number; alerts: RaisedAlert[]; replayed: boolean; storedAnswer?: unknown };

/**
 * A server-checked sample is the same request when its fingerprint is (replay.ts): its outcome may differ in a second
 * check (a copy of the first); a device report is the same when its content is.
 */
const sameReport = (stored: { examId: number; payload: unknown }, examId: number, payload: unknown) => {
  if (stored.examId !== examId) return false;
  const fingerprint = (p: unknown) => (p && typeof p === "object" ? (p as { request_sha256?: string }).request_sha256 : undefined);
  if (fingerprint(payload) !== undefined) return fingerprint(stored.payload) === fingerprint(payload);
  return JSON.stringify(stored.payload) === JSON.stringify(payload);
};

const causeMentions = (e: unknown, text: string) => {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 6; x = (x as { cause?: unknown }).cause, depth++) {
    if (x.message.includes(text)) return true;
  }
  return false;
};
const isClientKeyConflict = (e: unknown) => causeMentions(e, "monitoring_events.client_key");

/**
 * An alert raised by the event being stored in the same batch: one UPDATE extends the open episode, if
 * any; otherwise one INSERT opens a new one (its first event is the newest event of this student and
 * exam, i.e. the one inserted just before in the batch).
 */
function alertStatements(db: Db, scope: MonitoringScope, alert: RaisedAlert, now: number) {
  const same = and(
    eq(alerts.institutionId, scope.institutionId),
    eq(alerts.examId, scope.examId),
    eq(alerts.studentId, scope.studentId),
    eq(alerts.reason, alert.reason),
    alert.detail === null ? isNull(alerts.detail) : eq(alerts.detail, alert.detail),
    gte(alerts.lastSeenAt, now - EPISODE_GAP_MS),
  );
  const open = db.select({ id: alerts.id }).from(alerts).where(same).orderBy(desc(alerts.lastSeenAt)).limit(1);
  const extend = db
    .update(alerts)
    .set({ occurrences: sql`${alerts.occurrences} + 1`, lastSeenAt: sql`max(${alerts.lastSeenAt}, ${now})` })
    .where(eq(alerts.id, sql`(${open})`));
  // The event inserted first in this transaction is the newest of this student in this exam.
  const thisEvent = sql`(SELECT max(${monitoringEvents.id}) FROM ${monitoringEvents} WHERE ${monitoringEvents.examId} = ${scope.examId} AND ${monitoringEvents.studentId} = ${scope.studentId})`;
  const openNew = db.run(sql`INSERT INTO ${alerts} (institution_id, exam_id, student_id, reason, detail, first_event_id, occurrences, first_seen_at, last_seen_at)
    SELECT ${scope.institutionId}, ${scope.examId}, ${scope.studentId}, ${alert.reason}, ${alert.detail}, ${thisEvent}, 1, ${now}, ${now}
    WHERE NOT EXISTS ${open}`); // (a query builder renders in its own parentheses)
  return [extend, openNew] as const;
}

// ---------------------------------------------------------------------------------------------
// The device's report (TRUSTID Monitoring model) -> MonitoringResult

export type DeviceReport = {
  running_processes?: string[] | undefined;
  is_face_detected?: boolean | undefined;
  is_multiple_face_results?: boolean | undefined;
  face_rec_result?: string | undefined;
  confidence_score?: number | undefined;
  is_error_occurred?: boolean | undefined;
  error_type?: string | undefined;
  is_voice_detected?: boolean | undefined;
  is_voice_verified?: boolean | undefined;
  voice_confidence_score?: number | undefined;
  is_voice_error_occurred?: boolean | undefined;
  error_type_voice?: string | undefined;
};

// `face_rec_result` is free text in the spec. Read as "this is the student": a positive word, or the
// student's own email or user id; read as "someone else": a negative word or any other identity.
// Empty means no recognition ran, and so does a language's "no value" written as text (Python's `str(None)`,
// JavaScript's `String(null)`): a probe's "None" raised face_mismatch. Compared as trimmed, lower-cased strings
// (never across types).
const POSITIVE = new Set([
  "match", "matched", "verified", "true", "same", "ok", "yes", "recognized", "recognised", "success", "passed", "pass", "valid", "authenticated",
]);
const NO_VALUE = new Set(["none", "null", "undefined", "nan", "nil"]);

export function faceMatchOf(faceRecResult: string | undefined, student: { userId: number; email: string }): boolean | undefined {
  const v = faceRecResult?.trim().toLowerCase();
  if (!v || NO_VALUE.has(v)) return undefined;
  return POSITIVE.has(v) || v === student.email.toLowerCase() || v === String(student.userId);
}

export function deviceReportToResult(report: DeviceReport, student: { userId: number; email: string }): MonitoringResult {
  return {
    faceDetected: report.is_face_detected,
    multipleFaces: report.is_multiple_face_results,
    faceMatch: faceMatchOf(report.face_rec_result, student),
    faceConfidence: report.confidence_score,
    faceError: report.is_error_occurred ? (report.error_type ?? "").trim() : undefined,
    voiceDetected: report.is_voice_detected,
    voiceMatch: report.is_voice_verified,
    voiceConfidence: report.voice_confidence_score,
    voiceError: report.is_voice_error_occurred ? (report.error_type_voice ?? "").trim() : undefined,
    runningProcesses: report.running_processes,
  };
}

/**
 * POST /backend/monitoring/: a device report from an enrolled student of a started exam. Reports
 * for exams that have not started or have completed are refused (400) and store nothing.
 */
export async function recordDeviceReport(
  db: Db,
  student: Person,
  examId: number,
  report: DeviceReport,
  now: number,
  clientKey?: string,
  decisionBase?: DecisionBase,
): Promise<{ eventId: number; alerts: RaisedAlert[]; replayed: boolean }> {
  // Everything the report is judged by, in one round trip: the enrolled exam (its timing columns only), the
  // student's email (for face_rec_result) and the exam's process policy; the store is the second.
  const [examRows, emailRows, patternRows] = await db.batch([
    enrolledExamQuery(db, student, examId),
    db
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.id, student.userId), eq(users.institutionId, student.institutionId)))
      .limit(1),
    policyPatternsQuery(db, student.institutionId, examId),
  ]);
  const { exam } = await enrolledExamFound(db, examRows, examId, now);
  const [me] = emailRows;
  if (!me) throw AppError.notFound("user", String(student.userId), "User not found");
  const result = deviceReportToResult(report, { userId: student.userId, email: me.email });
  const processes = result.runningProcesses ?? [];
  const forbidden = processes.length > 0 ? forbiddenAmong(processes, policyOfRows(patternRows)) : [];
  const raised = alertsFor(result, forbidden);
  // A resend of a report stored before the exam completed is answered as the first time (a probe's client, retrying
  // its last report after a lost answer, was told "completed" about a report that had been kept). Looked up only then:
  // a running exam's resend is found by the store's key conflict.
  const stored = exam.status === "Completed" && clientKey !== undefined ? await storedReport(db, student.userId, clientKey) : undefined;
  if (stored && sameReport(stored, exam.id, report)) return { eventId: stored.id, alerts: raised, replayed: true };
  if (exam.status === "Upcoming") throw AppError.badField("exam_id", "This examination has not started yet.");
  if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
  return storeMonitoringResult(
    db,
    { institutionId: student.institutionId, examId: exam.id, studentId: student.userId, source: "device", monitoringType: "Exam Monitoring" },
    raised,
    now,
    report,
    clientKey,
    // The device's own face and voice results are its decisions, not the server's; the process list is judged here.
    (raised) => (decisionBase ? [processDecision({ ...decisionBase, examId: exam.id }, report.running_processes, raised)].filter((d) => d !== null) : []),
  );
}
