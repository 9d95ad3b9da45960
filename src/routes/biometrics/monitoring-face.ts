// POST /backend/biometrics/monitoring_face/ and POST /backend/biometrics/monitoring_face_oral/
// Both take one frame during a started exam; the oral variant also carries the running processes and
// the device's address. The server computes what a device would report and raises the same alerts.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decisionBase } from "../decision-context";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { imageBytesFromField } from "../../services/biometrics/face";
import { audioBytesFromField } from "../../services/biometrics/voice";
import { monitorFace } from "../../services/monitoring/face";
import type { AppEnv } from "../../types";
import { ExamId, examNotFound, ProcessList } from "../exam-schemas";
import { authErrors, commonErrors, envelope, jsonRequest, ok, ReportedIpAddress, SecurityLevelField, tooMany } from "../schemas";
import type { OralDecision } from "../../biometrics/fusion";
import type { VoiceCheck } from "../../services/decisions/outcomes";
import type { SecurityLevel } from "../../biometrics/security-level";
import { ImageField, LIMITS } from "./schemas";
import { limitInFlight } from "../../lib/overload";
import { IdempotencyHeaders, idempotencyKey } from "../idempotency-key";

const MonitorFace = z
  .object({ image: ImageField, exam_id: ExamId, operating_sys: z.string().trim().max(64).optional() })
  .openapi("BiometricsMonitorFace");

const MonitorFaceOral = MonitorFace.extend({
  ip_address: ReportedIpAddress,
  running_processes: ProcessList,
  voice_base64: z
    .string()
    .trim()
    .min(1)
    .max(14 * 1024 * 1024)
    .optional()
    .openapi({
      description:
        "Optional: a voice clip recorded with the frame (base64 or a data: URI; WAV, WebM/Opus or Ogg/Opus). When the student has a voice " +
        "template and the clip holds speech, the decision is taken on the fused face + voice score (docs/security-levels.md)",
    }),
}).openapi("BiometricsMonitorFaceOral");

const Outcome = z
  .object({
    outcome: z.string().openapi({
      description:
        "match | mismatch | repeated | no_face | multiple_faces | liveness_failed | face_too_small | not_enrolled | reenrolment_required. " +
        "`repeated`: the frame is a copy of one sent earlier in this exam (a still picture looped, a request sent again) or of a registration picture: not judged, a `repeated_sample` alert is raised",
    }),
    repeated_after_ms: z.number().optional().openapi({ description: "outcome `repeated`: how long after the frame it copies it came (an earlier frame of the exam, or a picture the face model was registered with)" }),
    score: z.number().optional(),
    threshold: z.number().optional(),
    faces: z.number(),
    liveness: z.number().optional(),
    security_level: SecurityLevelField.optional(),
    decided_on: z.enum(["face", "fused", "voice"]).optional().openapi({
      description:
        "monitoring_face_oral with a voice clip: what the decision was taken on; `voice`: the frame gave no face score (a copy, no face or several, failed liveness, no face template), so its clip was judged alone (`voice_outcome`, `voice_score`, `voice_threshold`)",
    }),
    voice_outcome: z.enum(["match", "mismatch"]).optional(),
    voice_score: z.number().optional(),
    voice_threshold: z.number().optional(),
    fused_score: z.number().optional(),
    fused_threshold: z.number().optional(),
    voice_error: z
      .string()
      .optional()
      .openapi({ description: "The voice clip could not be used (e.g. `undecodable: ...`): the face decided alone, and a `client_error` alert says so" }),
    refused_for: z
      .array(z.enum(["face", "voice"]))
      .optional()
      .openapi({ description: "A refused fused decision: what did not match (a modality under its floor, or the weaker one)" }),
  })
  .openapi("FaceMonitoringOutcome");

const responses = {
  200: ok(
    envelope({ resource_bool: z.boolean(), resource_dict: Outcome, resource_array: z.array(z.string()) }),
    "Recorded; `resource_bool` says whether the enrolled student was recognised, `resource_array` lists the alerts raised",
  ),
  ...examNotFound,
  ...authErrors,
  ...tooMany,
  ...commonErrors,
};

export const faceRoute = createRoute({
  method: "post",
  path: "/biometrics/monitoring_face",
  tags: ["Biometrics"],
  summary: "Checks one frame taken during a started exam against the student's face model and raises alerts",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), biometricRateLimit("monitoring"), limitInFlight("inference"), jsonBody(LIMITS.faceVerify)] as const,
  request: { ...jsonRequest(MonitorFace), headers: IdempotencyHeaders },
  responses,
});

export const oralRoute = createRoute({
  method: "post",
  path: "/biometrics/monitoring_face_oral",
  tags: ["Biometrics"],
  summary: "As monitoring_face, for oral exams: also checks the running processes against the exam's policy",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), biometricRateLimit("monitoring"), limitInFlight("inference"), jsonBody(LIMITS.faceVerify)] as const,
  request: { ...jsonRequest(MonitorFaceOral), headers: IdempotencyHeaders },
  responses,
});

const reply = (
  match: { outcome: string; faces: number; score?: number; threshold?: number; level?: SecurityLevel; liveness?: number | undefined; repeatedAfterMs?: number },
  alerts: { reason: string; detail: string | null }[],
  oral?: OralDecision,
  voiceError?: string,
  voiceAlone?: VoiceCheck,
) => ({
  message: "Monitoring data recorded successfully",
  resource_name: "monitoring",
  resource_bool: match.outcome === "match",
  resource_dict: {
    outcome: match.outcome,
    faces: match.faces,
    ...(match.score !== undefined ? { score: match.score, threshold: match.threshold, security_level: match.level } : {}),
    ...(match.liveness !== undefined ? { liveness: match.liveness } : {}),
    ...(match.repeatedAfterMs !== undefined ? { repeated_after_ms: match.repeatedAfterMs } : {}),
    ...(oral ? { decided_on: oral.decidedOn, ...(oral.decidedOn === "fused" ? { fused_score: oral.score, fused_threshold: oral.threshold } : {}) } : {}),
    ...(oral?.refusedFor ? { refused_for: oral.refusedFor } : {}),
    ...(voiceAlone ? { decided_on: "voice" as const, voice_outcome: voiceAlone.outcome as "match" | "mismatch", voice_score: voiceAlone.score!, voice_threshold: voiceAlone.threshold! } : {}),
    ...(voiceError !== undefined ? { voice_error: voiceError } : {}),
  },
  resource_array: alerts.map((a) => (a.detail ? `${a.reason}: ${a.detail}` : a.reason)),
});

export const registerMonitoringFace = (app: OpenAPIHono<AppEnv>) => {
  app.openapi(faceRoute, async (c) => {
    const b = c.req.valid("json");
    const image = imageBytesFromField("image", b.image);
    const clientKey = idempotencyKey(c.req.header("idempotency-key"));
    const { match, alerts } = await monitorFace(
      c.env,
      dbOf(c),
      c.get("caller"),
      {
        examId: b.exam_id,
        image,
        device: { operating_sys: b.operating_sys },
        decisionBase: decisionBase(c, { endpoint: faceRoute.path, examId: b.exam_id, operatingSys: b.operating_sys }),
        ...(clientKey ? { clientKey } : {}),
      },
      c.get("now"),
    );
    return c.json(reply(match, alerts), 200);
  });
  app.openapi(oralRoute, async (c) => {
    const b = c.req.valid("json");
    const image = imageBytesFromField("image", b.image);
    const clip = b.voice_base64 === undefined ? undefined : audioBytesFromField("voice_base64", b.voice_base64);
    const clientKey = idempotencyKey(c.req.header("idempotency-key"));
    const { match, oral, voiceAlone, voiceError, alerts } = await monitorFace(
      c.env,
      dbOf(c),
      c.get("caller"),
      {
        examId: b.exam_id,
        image,
        ...(clip ? { clip } : {}),
        runningProcesses: b.running_processes,
        device: { operating_sys: b.operating_sys, ip_address: b.ip_address },
        decisionBase: decisionBase(c, { endpoint: oralRoute.path, examId: b.exam_id, operatingSys: b.operating_sys }),
        ...(clientKey ? { clientKey } : {}),
      },
      c.get("now"),
    );
    return c.json(reply(match, alerts, oral, voiceError, voiceAlone), 200);
  });
};
