// Server-side face monitoring: a frame sent during a started exam is analysed and compared 1:1 with the
// student's own template, and the outcome becomes a monitoring event with alerts, exactly like a device
// report (services/monitoring/results.ts). No picture is stored: the event keeps the outcome and scores only.
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { users } from "../../db/schema";
import type { Bindings } from "../../env";
import { AppError } from "../../lib/errors";
import type { Caller } from "../../types";
import { FACE_OPERATING_POINTS } from "../../biometrics/face/operating-points";
import { decideOral, type OralDecision } from "../../biometrics/fusion";
import type { SecurityLevel } from "../../biometrics/security-level";
import { ownerOf, templatesOf } from "../../templates/client";
import { analyseFace, type FaceMatch, matchFace, problemError, problemOf } from "../biometrics/face";
import { analyseVoice } from "../biometrics/voice";
import { enrolledExam, enrolledExamFound, enrolledExamQuery } from "../exams/scope";
import { holdFor, markFaceVerified } from "../exams/verification";
import { clipProblemCode, faceMatchOf, type MonitoringResult, type RaisedAlert, recordMonitoringResult } from "./results";
import { type ReplayKey, replayedAnswer, replayPayload, requestFingerprint, storedReportQuery } from "./replay";
import { type DecisionBase, faceDecision, processDecision, type VoiceCheck, voiceDecision } from "../decisions/outcomes";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";

/** The enrolled exam, started (monitoring outside an exam's run is refused and stores nothing), and its security level. */
export async function startedExamEnrolment(db: Db, caller: Caller, examId: number, now: number) {
  return startedOnly(await enrolledExam(db, caller, examId, now));
}

function startedOnly<T extends { exam: { status: string } }>(found: T): T {
  if (found.exam.status === "Upcoming") throw AppError.badField("exam_id", "This examination has not started yet.");
  if (found.exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
  return found;
}

/**
 * startedExamEnrolment, or with an Idempotency-Key the answer stored under it when this is a resend (replay.ts), read in
 * the same round trip. The resend is answered first: after the exam ended it still gets what its first sending got.
 */
export async function startedExamOrReplay<T>(
  db: Db,
  caller: Caller,
  examId: number,
  now: number,
  key: ReplayKey | undefined,
): Promise<{ replayed: T } | { found: Awaited<ReturnType<typeof startedExamEnrolment>> }> {
  if (!key) return { found: await startedExamEnrolment(db, caller, examId, now) };
  const [rows, stored] = await db.batch([enrolledExamQuery(db, caller, examId), storedReportQuery(db, caller.userId, key.key)]);
  const replayed = replayedAnswer<T>(stored[0], examId, key);
  if (replayed) return { replayed };
  return { found: startedOnly(await enrolledExamFound(db, rows, examId, now)) };
}

/** How one face outcome reads as a monitoring result (which alerts it raises). */
export function faceOutcomeToResult(m: FaceMatch): MonitoringResult {
  switch (m.outcome) {
    case "match":
      return { faceDetected: true, multipleFaces: false, faceMatch: true, faceConfidence: m.score, livenessPassed: true };
    case "mismatch":
      return { faceDetected: true, multipleFaces: false, faceMatch: false, faceConfidence: m.score, livenessPassed: true };
    case "repeated":
      // A copy of an earlier frame: not judged, so neither a match nor a face_mismatch (src/biometrics/repeats.ts).
      return { faceDetected: true, multipleFaces: false, faceRepeated: true, faceConfidence: m.score };
    case "no_face":
      return { faceDetected: false };
    case "multiple_faces":
      return { faceDetected: true, multipleFaces: true };
    case "liveness_failed":
      return { faceDetected: true, multipleFaces: false, livenessPassed: false };
    case "face_too_small":
      // A face too far away cannot be judged; recorded, but it is not evidence of anything.
      return { faceDetected: true, multipleFaces: false };
    case "not_enrolled":
    case "reenrolment_required":
      // The instructor should know the student cannot be checked at all (a registration fact, not a device error).
      return { faceTemplate: m.outcome };
    default:
      return { faceError: m.outcome };
  }
}

/** `voiceAlone`: the clip of a frame without a face score (a copy, no face, no face template...), judged on its own. */
export type FaceMonitoringOutcome = { match: FaceMatch; oral?: OralDecision; voiceAlone?: VoiceCheck; voiceError?: string; alerts: RaisedAlert[] };

/**
 * Oral exams: when a voice clip comes with the frame and the face was compared, the decision is taken on the fused
 * face + voice score (src/biometrics/fusion.ts, docs/security-levels.md); without a usable voice score (no clip, no
 * speech, no voice template) the face decides alone. An unreadable clip does not stop the frame from being judged
 * (a client that attached a broken clip to every frame would otherwise escape every face and process alert): the
 * face decides alone and the clip's problem is answered and raised as a `client_error` alert (`voice: ...`).
 */
async function oralDecision(
  env: Bindings,
  caller: Caller,
  match: FaceMatch,
  clip: Uint8Array,
  level: SecurityLevel,
  monitoring: { examId: number; now: number },
): Promise<{ oral?: OralDecision; voiceError?: string; voiceRepeated?: boolean; voiceAlone?: VoiceCheck }> {
  // A frame that gives no face score (a copy, no face or several, liveness failed, too small, no face template) leaves
  // the clip to be judged alone: before, such frames ignored the clip, so a looped picture, or a student with a voice
  // but no face template, let someone else speak unchecked (two probes).
  const faceScored = match.outcome === "match" || match.outcome === "mismatch";
  const a = await analyseVoice(env, clip);
  if (!a.ok) return { voiceError: `${a.code}: ${a.message}` };
  const owner = ownerOf(caller);
  // Checked against the exam's recent clips for copies, but decided on its own: fusion is calibrated per clip.
  const v = await templatesOf(env, owner).verifyVoice(owner, a.embedding, a.modelId, level, { ...monitoring, window: false });
  // A copy of an earlier clip is not judged: the face decides alone and the copy is raised (src/biometrics/repeats.ts).
  if ((v.status === "match" || v.status === "no_match") && v.repeatedAfterMs !== undefined) return { voiceRepeated: true };
  if (!faceScored) {
    // Judged alone, at the voice's own threshold; without speech or a voice template there is nothing to judge.
    if (v.status !== "match" && v.status !== "no_match") return {};
    const voiceAlone: VoiceCheck = {
      outcome: v.status === "match" ? "match" : "mismatch",
      score: v.score,
      threshold: v.threshold,
      speechSeconds: a.speechSeconds,
      modelId: a.modelId,
      templateVersion: v.templateVersion,
    };
    return { voiceAlone };
  }
  const voice = v.status === "match" || v.status === "no_match" ? v.score : null;
  return { oral: decideOral(match.score, voice, level, FACE_OPERATING_POINTS[level]) };
}

/**
 * /biometrics/monitoring_face/ and /monitoring_face_oral/: one frame (plus, for the oral variant, the
 * running processes). An undecodable or oversized picture is a 400 and stores nothing.
 */
export async function monitorFace(
  env: Bindings,
  db: Db,
  caller: Caller,
  input: {
    examId: number;
    image: Uint8Array;
    clip?: Uint8Array;
    runningProcesses?: string[];
    device?: Record<string, string | undefined>;
    decisionBase?: DecisionBase;
    /** The device's Idempotency-Key: a resend is answered as the first time, checked and stored once (replay.ts). */
    clientKey?: string;
  },
  now: number,
): Promise<FaceMonitoringOutcome> {
  const key: ReplayKey | undefined = input.clientKey
    ? { key: input.clientKey, fingerprint: await requestFingerprint(String(input.examId), input.image, input.clip, JSON.stringify(input.runningProcesses ?? null), JSON.stringify(input.device ?? {})) }
    : undefined;
  const checked = await startedExamOrReplay<FaceMonitoringOutcome>(db, caller, input.examId, now, key); // before the costly part
  if ("replayed" in checked) return checked.replayed;
  const { securityLevel } = checked.found;
  const analysed = await analyseFace(env, input.image, caller);
  const problem = problemOf(analysed, false);
  if (problem === "undecodable" || problem === "image_too_large") throw problemError("image", problem, analysed);
  const monitoring = { examId: input.examId, now };
  const faceMatch = await matchFace(env, caller, analysed, securityLevel, monitoring);
  const { oral, voiceError, voiceRepeated, voiceAlone } = input.clip ? await oralDecision(env, caller, faceMatch, input.clip, securityLevel, monitoring) : {};
  // The fused decision replaces the face's own when there is one (the face score is kept beside it).
  const match: FaceMatch =
    oral && (faceMatch.outcome === "match" || faceMatch.outcome === "mismatch") ? { ...faceMatch, outcome: oral.isMatch ? "match" : "mismatch" } : faceMatch;
  // A refused fused decision names what did not match: the face (face_mismatch), the voice (voice_mismatch), or both.
  const refused = oral?.refusedFor;
  const faceResult: MonitoringResult =
    refused && !refused.includes("face") && match.outcome === "mismatch" ? faceOutcomeToResult({ ...match, outcome: "match" }) : faceOutcomeToResult(match);
  const voiceResult: Partial<MonitoringResult> =
    voiceError !== undefined
      ? { voiceError: clipProblemCode(voiceError) }
      : voiceRepeated
        ? { voiceRepeated }
        : refused?.includes("voice") || voiceAlone?.outcome === "mismatch"
          ? { voiceDetected: true, voiceMatch: false }
          : voiceAlone?.outcome === "match"
            ? { voiceDetected: true, voiceMatch: true }
            : {};
  const result: MonitoringResult = { ...faceResult, ...voiceResult, runningProcesses: input.runningProcesses };
  const outcomeWith = (alerts: RaisedAlert[]): FaceMonitoringOutcome => ({
    match,
    ...(oral ? { oral } : {}),
    ...(voiceAlone ? { voiceAlone } : {}),
    ...(voiceError !== undefined ? { voiceError } : {}),
    alerts,
  });
  const { alerts, storedAnswer } = await recordMonitoringResult(
    db,
    { institutionId: caller.institutionId, examId: input.examId, studentId: caller.userId, source: "server", monitoringType: "Exam Monitoring" },
    result,
    now,
    (raised: RaisedAlert[]) => ({
      face: match,
      ...(oral ? { oral: { decided_on: oral.decidedOn, score: oral.score, threshold: oral.threshold } } : {}),
      ...(voiceAlone ? { voice: { outcome: voiceAlone.outcome, score: voiceAlone.score, threshold: voiceAlone.threshold } } : {}),
      running_processes: input.runningProcesses,
      ...input.device,
      ...replayPayload(key, outcomeWith(raised)),
    }),
    key?.key,
    (raised) => {
      if (!input.decisionBase) return [];
      const base = { ...input.decisionBase, securityLevel };
      const process = processDecision(base, input.runningProcesses, raised);
      const voice = voiceAlone ? voiceDecision(base, voiceAlone, raised) : null;
      return [faceDecision(base, "monitoring", match, raised, CURRENT_MODEL_IDS.Face, oral), ...(voice ? [voice] : []), ...(process ? [process] : [])];
    },
  );
  return (storedAnswer as FaceMonitoringOutcome | undefined) ?? outcomeWith(alerts);
}

// A data: URI of a picture as every picture field takes it (services/biometrics/face.ts), or long base64.
const IMAGE_DATA_URI = /^data:(?:image\/|application\/octet-stream[;,])/i;
const NOT_BASE64 = /[^A-Za-z0-9+/_-]/;

export type IdentificationOutcome = { verified: boolean; checkedBy: "server" | "device"; match?: FaceMatch; alerts: RaisedAlert[] };

/**
 * /student/identification: the identity check at the start of (or during) an exam. When
 * `identification_result` is a picture the server verifies it 1:1 and a live match marks the student
 * Verified for the exam. A textual result computed on the device is recorded (a mismatch raises an
 * alert) but never verifies anyone: a client's claim is not evidence of identity.
 */
export async function identify(
  env: Bindings,
  db: Db,
  caller: Caller,
  input: { examId: number; identificationResult: string; image?: Uint8Array; decisionBase?: DecisionBase },
  now: number,
): Promise<IdentificationOutcome> {
  const { exam, securityLevel } = await enrolledExam(db, caller, input.examId, now);
  // Before the exam or during it (not after: a completed exam's record is final, as for every monitoring report).
  if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
  const scope = { institutionId: caller.institutionId, examId: input.examId, studentId: caller.userId, monitoringType: "Identification" as const };
  if (input.image) {
    const analysed = await analyseFace(env, input.image, caller);
    const problem = problemOf(analysed, false);
    if (problem === "undecodable" || problem === "image_too_large") throw problemError("identification_result", problem, analysed);
    const match = await matchFace(env, caller, analysed, securityLevel, undefined, holdFor(exam, now));
    const verified = match.outcome === "match";
    // The decision is written with its effect: the verification when it verifies, else the event and its alerts.
    let decision: ReturnType<typeof faceDecision> | null = null;
    const { alerts } = await recordMonitoringResult(db, { ...scope, source: "server" }, faceOutcomeToResult(match), now, { face: match }, undefined, (raised) => {
      decision = input.decisionBase ? faceDecision({ ...input.decisionBase, securityLevel }, "identification", match, raised, CURRENT_MODEL_IDS.Face) : null;
      return decision && !verified ? [decision] : [];
    });
    if (verified) await markFaceVerified(env, db, caller, input.examId, now, decision ? [decision] : []);
    return { verified, checkedBy: "server", match, alerts };
  }
  const [me] = await db.select({ email: users.email }).from(users).where(and(eq(users.id, caller.userId), eq(users.institutionId, caller.institutionId))).limit(1);
  const faceMatch = faceMatchOf(input.identificationResult, { userId: caller.userId, email: me?.email ?? "" });
  const { alerts } = await recordMonitoringResult(db, { ...scope, source: "device" }, { faceMatch }, now, {
    identification_result: input.identificationResult,
  });
  return { verified: false, checkedBy: "device", alerts };
}

export function looksLikeImage(value: string): boolean {
  const v = value.trim();
  if (IMAGE_DATA_URI.test(v)) return true;
  // A search for a non-base64 character, not `^[...]{200,}={0,2}$` over the whole text: that overflowed the regular
  // expression's stack on a picture of 6 million characters (an audit, 2026-12-07).
  const body = v.endsWith("==") ? v.slice(0, -2) : v.endsWith("=") ? v.slice(0, -1) : v;
  return body.length >= 200 && !NOT_BASE64.test(body);
}
