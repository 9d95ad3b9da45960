// POST /backend/biometrics/monitoring/
// A voice clip taken during the exam (multipart or urlencoded, as the spec says), checked on the server.
import { AppError } from "../../lib/errors";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decisionBase } from "../decision-context";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { formBody } from "../../middleware/body";
import { audioBytesFromField } from "../../services/biometrics/voice";
import { monitorVoice } from "../../services/monitoring/voice";
import { parseProcessList } from "../../services/process-policy";
import type { AppEnv } from "../../types";
import { ExamId, examNotFound } from "../exam-schemas";
import { authErrors, commonErrors, envelope, ok, tooMany, ReportedIpAddress } from "../schemas";
import { formRequest, sampleField, withSample } from "./form";
import { LIMITS } from "./schemas";
import { limitInFlight } from "../../lib/overload";
import { IdempotencyHeaders, idempotencyKey } from "../idempotency-key";

const MonitoringForm = withSample(
  z.object({
    voice_base64: z.string().optional().openapi({ description: "The audio clip (WAV, Ogg/Opus or WebM/Opus), base64" }),
    src: z.string().optional().openapi({ description: "The same clip as a data: URI (never fetched as a URL)" }),
    voice_emb_data: z.string().max(1_000_000).optional().openapi({ description: "Accepted for TRUSTID clients and ignored: the server computes its own embedding" }),
    running_processes: z.string().max(200_000).optional().openapi({ description: "Comma or newline separated process names" }),
    ip_address: ReportedIpAddress.optional(),
    exam_id: ExamId.optional().openapi({ description: "The exam; defaults to the one the student has joined and is sitting now (the one joined last when several; the answer names it)" }),
  }),
  "BiometricsMonitoring",
);

export const route = createRoute({
  method: "post",
  path: "/biometrics/monitoring",
  tags: ["Biometrics"],
  summary: "Checks a voice clip taken during the exam (speech present, the student's voice) and the running processes; raises alerts",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), biometricRateLimit("monitoring"), limitInFlight("inference"), formBody(LIMITS.form)] as const,
  request: { ...formRequest(MonitoringForm), headers: IdempotencyHeaders },
  responses: {
    200: ok(
      envelope({
        is_match: z.boolean(),
        is_voice_detected: z.boolean(),
        resource_dict: z.object({
          exam_id: z.number(),
          outcome: z.string().openapi({
            description:
              "match | mismatch | repeated | no_voice | not_enrolled | reenrolment_required | voice_error. `voice_error`: the clip could not be used " +
              "(`voice_error` says why; a `client_error` alert is raised) but the running processes sent with it were checked. An unusable clip sent without processes is a 400",
          }),
          voice_error: z.string().optional(),
          score: z.number().nullable().openapi({
            description: "The cohort-normalised voice score decided on: of this clip with the exam's recent clips of the same voice (docs/voice.md)",
          }),
        }),
        resource_array: z.array(z.string()),
      }),
      "Recorded; `resource_array` lists the alerts this clip raised",
    ),
    ...examNotFound,
    ...authErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerBiometricsMonitoring = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const form = c.req.valid("form");
    const { field, value } = sampleField(form);
    const runningProcesses = parseProcessList(form.running_processes);
    // A clip that cannot even be read (not base64, too large) does not lose the processes sent with it (a probe's).
    let clip: Uint8Array | { unreadable: string };
    try {
      clip = audioBytesFromField(field, value);
    } catch (e) {
      const detail = e instanceof AppError && e.body.kind === "validation" ? e.body.details[field]?.[0] : undefined;
      if (runningProcesses.length === 0 || detail === undefined) throw e;
      clip = { unreadable: detail };
    }
    const clientKey = idempotencyKey(c.req.header("idempotency-key"));
    const out = await monitorVoice(
      c.env,
      dbOf(c),
      c.get("caller"),
      {
        clip,
        field,
        runningProcesses,
        decisionBase: decisionBase(c, { endpoint: route.path }),
        ...(form.exam_id !== undefined ? { examId: form.exam_id } : {}),
        ...(form.ip_address ? { ipAddress: form.ip_address } : {}),
        ...(clientKey ? { clientKey } : {}),
      },
      c.get("now"),
    );
    return c.json(
      {
        message: out.voiceError ? "Monitoring data recorded; the voice clip could not be used" : "Monitoring data recorded successfully",
        resource_name: "monitoring",
        is_match: out.outcome === "match",
        is_voice_detected: out.isVoiceDetected,
        resource_dict: { exam_id: out.examId, outcome: out.outcome, score: out.score, ...(out.voiceError ? { voice_error: out.voiceError } : {}) },
        resource_array: out.alerts.map((a) => (a.detail ? `${a.reason}: ${a.detail}` : a.reason)),
      },
      200,
    );
  });
