// How each decision path's own outcome becomes a decision record (docs/decisions.md), so that every call
// site stays one line: the path passes its outcome and the alerts its check raised, this file picks the
// outcome word, the reason, the scores and the alerts that belong to the modality.
import { FUSION_FLOORS, type OralDecision } from "../../biometrics/fusion";
import type { FaceMatch } from "../biometrics/face";
import type { RaisedAlert } from "../monitoring/results";
import { type DecisionInput, type DecisionOutcome, decisionRow } from "./record";

/** What every record of one request shares: whom, where, which request, when. */
export type DecisionBase = Pick<DecisionInput, "institutionId" | "studentId" | "examId" | "endpoint" | "requestId" | "client" | "securityLevel" | "now">;

const FACE_ALERTS = new Set(["no_face", "multiple_faces", "face_mismatch", "liveness_failed"]);
const alertsFor = (raised: RaisedAlert[], keep: (a: RaisedAlert) => boolean) => raised.filter(keep).map((a) => ({ reason: a.reason, detail: a.detail }));
/** An alert whose detail names the modality (`client_error`, `template_missing`: "face: ...", "voice: ..."; `repeated_sample`: "face", "voice"). */
const namesModality = (a: RaisedAlert, modality: "face" | "voice") =>
  (a.reason === "client_error" || a.reason === "template_missing" || a.reason === "repeated_sample") && (a.detail ?? "").startsWith(modality);
const faceAlerts = (raised: RaisedAlert[]) => alertsFor(raised, (a) => FACE_ALERTS.has(a.reason) || namesModality(a, "face"));
const voiceAlerts = (raised: RaisedAlert[]) => alertsFor(raised, (a) => a.reason === "voice_mismatch" || namesModality(a, "voice"));

/**
 * A face check of one picture (monitoring frame, identification picture). A picture with no face found, a failed
 * liveness check or a face too small could not be judged (`quality`, with the alert it raised in monitoring): these
 * are the service's own failures as often as the student's, and the error report counts them per group (a probe saw
 * a genuine student's frames fail liveness all exam and the report show no refusal). Several faces in a monitoring
 * frame are a fact about the scene (`flagged`). An oral exam's frame decided on the fused face + voice score records that
 * score and threshold (`quality.decided_on: "fused"`, the face's own similarity beside it).
 */
export function faceDecision(base: DecisionBase, action: "monitoring" | "identification", m: FaceMatch, raised: RaisedAlert[], modelId: string, oral?: OralDecision) {
  let outcome: DecisionOutcome;
  switch (m.outcome) {
    case "match":
      outcome = "accepted";
      break;
    case "mismatch":
      outcome = "mismatch";
      break;
    case "not_enrolled":
      outcome = "not_enrolled";
      break;
    case "multiple_faces":
      outcome = action === "monitoring" ? "flagged" : "quality";
      break;
    case "repeated":
      // A copy of an earlier frame (src/biometrics/repeats.ts): flagged, never judged; its score is kept for the record.
      outcome = "flagged";
      break;
    default:
      outcome = "quality";
  }
  const scored = m.outcome === "match" || m.outcome === "mismatch" || m.outcome === "repeated";
  const fused = scored && oral?.decidedOn === "fused";
  return decisionRow({
    ...base,
    modality: "face",
    action,
    outcome,
    reason: m.outcome === "repeated" ? "repeated_sample" : scored ? null : m.outcome,
    score: scored ? (fused ? oral.score : m.score) : null,
    threshold: scored ? (fused ? oral.threshold : m.threshold) : null,
    decideOn: "similarity",
    modelId,
    // The face template's (a fused frame's voice template is the one current when it was taken).
    templateVersion: scored ? m.templateVersion : null,
    quality: {
      faces: m.faces,
      liveness: m.liveness ?? null,
      ...(m.outcome === "repeated" ? { repeated_after_ms: m.repeatedAfterMs } : {}),
      ...(fused
        ? {
            decided_on: "fused",
            face_similarity: m.score,
            ...(oral.voiceScore !== undefined ? { voice_score: oral.voiceScore } : {}),
            ...(oral.refusedFor ? { refused_for: oral.refusedFor.join("+") } : {}),
            ...(oral.belowFloor ? { below_floor: true, face_floor: FUSION_FLOORS.faceCosine, voice_floor: FUSION_FLOORS.voiceNormalised } : {}),
          }
        : {}),
    },
    // An oral-exam frame's voice alerts (voice_mismatch of a fused refusal, an unreadable clip) belong to this record.
    alerts: alertsFor(raised, (a) => faceAlerts([a]).length > 0 || voiceAlerts([a]).length > 0),
  });
}

/** The server's check of a process list against the exam's policy (device reports too: the policy is ours). */
export function processDecision(base: DecisionBase, processes: string[] | undefined, raised: RaisedAlert[]) {
  if (processes === undefined || processes.length === 0) return null;
  const alerts = alertsFor(raised, (a) => a.reason === "forbidden_process");
  return decisionRow({
    ...base,
    modality: "processes",
    action: "monitoring",
    outcome: alerts.length > 0 ? "flagged" : "accepted",
    reason: alerts.length > 0 ? "forbidden_process" : null,
    quality: { processes: processes.length },
    alerts,
  });
}

export type VoiceCheck = {
  outcome: "match" | "mismatch" | "repeated" | "no_voice" | "not_enrolled" | "reenrolment_required";
  score: number | null;
  threshold: number | null;
  speechSeconds: number | null;
  modelId: string | null;
  /** The version of the voice template compared with, when the clip was compared. */
  templateVersion?: number | null;
  /** The window of recent clips the score is the mean of (src/biometrics/voice/window.ts), when there was one. */
  window?: { clips: number; clipScore: number; floor: number; belowFloor: boolean };
};

/** A voice check of one clip (monitoring), decided with the exam's recent clips when it had any. */
export function voiceDecision(base: DecisionBase, v: VoiceCheck, raised: RaisedAlert[]) {
  const outcome: DecisionOutcome =
    v.outcome === "match"
      ? "accepted"
      : v.outcome === "mismatch"
        ? "mismatch"
        : v.outcome === "repeated"
          ? "flagged"
          : v.outcome === "not_enrolled"
            ? "not_enrolled"
            : "quality";
  return decisionRow({
    ...base,
    modality: "voice",
    action: "monitoring",
    outcome,
    reason: v.outcome === "no_voice" ? "no_speech" : v.outcome === "reenrolment_required" ? v.outcome : v.outcome === "repeated" ? "repeated_sample" : null,
    score: v.score,
    threshold: v.threshold,
    decideOn: "similarity",
    modelId: v.modelId,
    templateVersion: v.templateVersion ?? null,
    quality: {
      speech_seconds: v.speechSeconds,
      ...(v.window
        ? { decided_on: "window", window_clips: v.window.clips, clip_score: v.window.clipScore, clip_floor: v.window.floor, below_floor: v.window.belowFloor }
        : {}),
    },
    alerts: voiceAlerts(raised),
  });
}
