// POST /biometrics/monitoring/: a voice clip (and the running processes) taken during an exam is checked
// on the server: speech detected at all, and whether it is the enrolled student's voice (1:1). The outcome
// becomes a monitoring event with alerts (voice mismatch, forbidden process), like a device report. The
// clip is not stored; a client-computed embedding (`voice_emb_data`) is never trusted.
import type { Db } from "../../db/client";
import type { Bindings } from "../../env";
import { AppError } from "../../lib/errors";
import type { Caller } from "../../types";
import { ownerOf, templatesOf } from "../../templates/client";
import { analyseVoice } from "../biometrics/voice";
import { clipProblemCode, type MonitoringResult, type RaisedAlert, recordMonitoringResult } from "./results";
import { type ReplayKey, replayPayload, requestFingerprint, storedReport } from "./replay";
import { examBeingSat } from "../exams/scope";
import { startedExamOrReplay } from "./face";
import { type DecisionBase, processDecision, voiceDecision } from "../decisions/outcomes";

/** The exam the student is sitting now (scope.ts, examBeingSat); a 400 when there is none. */
export async function currentExamOf(db: Db, caller: Caller): Promise<number> {
  const examId = await examBeingSat(db, caller);
  if (examId === null) throw AppError.badField("exam_id", "The student is not in a running examination; join it first or name it in exam_id.");
  return examId;
}

/**
 * `repeated`: the clip is a copy of one sent earlier in the exam (src/biometrics/repeats.ts): not judged.
 * `voice_error`: the clip could not be used, but the running processes sent with it were checked (`voiceError` says why).
 */
export type VoiceOutcome = "match" | "mismatch" | "repeated" | "no_voice" | "not_enrolled" | "reenrolment_required" | "voice_error";

export type VoiceMonitoringOutcome = {
  examId: number;
  outcome: VoiceOutcome;
  isVoiceDetected: boolean;
  score: number | null;
  alerts: RaisedAlert[];
  voiceError?: string;
};

export async function monitorVoice(
  env: Bindings,
  db: Db,
  caller: Caller,
  input: {
    examId?: number;
    /** The clip, or why it could not even be read from the request (not base64, too large): as an unusable clip. */
    clip: Uint8Array | { unreadable: string };
    field: string;
    runningProcesses: string[];
    ipAddress?: string;
    decisionBase?: DecisionBase;
    /** The device's Idempotency-Key: a resend is answered as the first time, checked and stored once (replay.ts). */
    clientKey?: string;
  },
  now: number,
): Promise<VoiceMonitoringOutcome> {
  // A resend without exam_id (the spec's form has none) is of the exam its first sending was stored under, even after
  // the student left it (a probe's resend after Leave was refused as "not in a running examination").
  const resentTo = input.examId === undefined && input.clientKey !== undefined ? (await storedReport(db, caller.userId, input.clientKey))?.examId : undefined;
  const examId = input.examId ?? resentTo ?? (await currentExamOf(db, caller));
  const sample = input.clip instanceof Uint8Array ? input.clip : input.clip.unreadable;
  const key: ReplayKey | undefined = input.clientKey
    ? { key: input.clientKey, fingerprint: await requestFingerprint(String(examId), sample, JSON.stringify(input.runningProcesses), input.ipAddress) }
    : undefined;
  const checked = await startedExamOrReplay<VoiceMonitoringOutcome>(db, caller, examId, now, key);
  if ("replayed" in checked) return checked.replayed;
  const { securityLevel } = checked.found;
  const a = input.clip instanceof Uint8Array ? await analyseVoice(env, input.clip) : null;
  if (!a?.ok) {
    const voiceError = a ? `${a.code}: ${a.message}` : (input.clip as { unreadable: string }).unreadable;
    // An unreadable clip alone is the client's mistake, not evidence: 400, nothing stored.
    if (input.runningProcesses.length === 0) throw AppError.validation({ badFormatted: [input.field], details: { [input.field]: [voiceError] } }, "The voice clip cannot be used");
    // The processes sent with it are evidence all the same (a probe's AnyDesk went unrecorded behind a 0.5 s clip):
    // they are checked and the clip's problem is raised as a client_error, as monitoring_face_oral does with its clip.
    const unusable = (alerts: RaisedAlert[]): VoiceMonitoringOutcome => ({ examId, outcome: "voice_error", isVoiceDetected: false, score: null, alerts, voiceError });
    const { alerts, storedAnswer } = await recordMonitoringResult(
      db,
      { institutionId: caller.institutionId, examId, studentId: caller.userId, source: "server", monitoringType: "Exam Monitoring" },
      { voiceError: clipProblemCode(voiceError), runningProcesses: input.runningProcesses },
      now,
      (raised: RaisedAlert[]) => ({
        voice: { outcome: "voice_error", error: voiceError },
        running_processes: input.runningProcesses,
        ip_address: input.ipAddress,
        ...replayPayload(key, unusable(raised)),
      }),
      key?.key,
      (raised) => {
        const process = input.decisionBase ? processDecision({ ...input.decisionBase, examId, securityLevel }, input.runningProcesses, raised) : null;
        return process ? [process] : [];
      },
    );
    return (storedAnswer as VoiceMonitoringOutcome | undefined) ?? unusable(alerts);
  }
  const owner = ownerOf(caller);
  // Decided with the exam's recent clips (src/biometrics/voice/window.ts): one short clip alone fails too often.
  const v = await templatesOf(env, owner).verifyVoice(owner, a.embedding, a.modelId, securityLevel, { examId, now });
  const window = v.status === "match" || v.status === "no_match" ? v.window : undefined;
  let outcome: VoiceOutcome;
  let score: number | null = null;
  if (v.status === "match" || v.status === "no_match") {
    outcome = v.repeatedAfterMs !== undefined ? "repeated" : v.status === "match" ? "match" : "mismatch";
    score = v.score;
  } else outcome = v.status === "no_voice" ? "no_voice" : v.status;
  const result: MonitoringResult = {
    voiceDetected: a.isVoiceDetected,
    voiceMatch: outcome === "match" ? true : outcome === "mismatch" ? false : undefined,
    voiceRepeated: outcome === "repeated" || undefined,
    voiceConfidence: score ?? undefined,
    // The instructor should know when the student's voice cannot be checked at all (a registration fact, not a device error).
    voiceTemplate: outcome === "not_enrolled" || outcome === "reenrolment_required" ? outcome : undefined,
    runningProcesses: input.runningProcesses,
  };
  const judged = (alerts: RaisedAlert[]): VoiceMonitoringOutcome => ({ examId, outcome, isVoiceDetected: a.isVoiceDetected, score, alerts });
  const { alerts, storedAnswer } = await recordMonitoringResult(
    db,
    { institutionId: caller.institutionId, examId, studentId: caller.userId, source: "server", monitoringType: "Exam Monitoring" },
    result,
    now,
    (raised: RaisedAlert[]) => ({
      voice: { outcome, score, speech_seconds: a.speechSeconds, ...(window ? { window_clips: window.clips, clip_score: window.clipScore } : {}) },
      running_processes: input.runningProcesses,
      ip_address: input.ipAddress,
      ...replayPayload(key, judged(raised)),
    }),
    key?.key,
    (raised) => {
      if (!input.decisionBase) return [];
      const base = { ...input.decisionBase, examId, securityLevel };
      const threshold = v.status === "match" || v.status === "no_match" ? v.threshold : null;
      const process = processDecision(base, input.runningProcesses, raised);
      const templateVersion = v.status === "match" || v.status === "no_match" ? v.templateVersion : null;
      const check = { outcome, score, threshold, speechSeconds: a.speechSeconds, modelId: a.modelId, templateVersion, window };
      return [voiceDecision(base, check, raised), ...(process ? [process] : [])];
    },
  );
  return (storedAnswer as VoiceMonitoringOutcome | undefined) ?? judged(alerts);
}
