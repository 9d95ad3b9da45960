// POST /backend/monitoring/
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decisionBase } from "../decision-context";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { recordDeviceReport } from "../../services/monitoring/results";
import { parseProcessList } from "../../services/process-policy";
import type { AppEnv } from "../../types";
import { IdempotencyHeaders, idempotencyKey } from "../idempotency-key";
import { ExamId, examNotFound, ProcessList } from "../exam-schemas";
import { authErrors, commonErrors, envelope, jsonRequest, LooseBoolean, looseNumber, ok, tooMany } from "../schemas";

const Score = looseNumber(z.number().finite().min(-1e6).max(1e6));
const ErrorType = z.string().trim().max(500);

const Monitoring = z
  .object({
    exam_id: ExamId,
    running_processes: ProcessList.optional(),
    is_face_detected: LooseBoolean.optional(),
    is_multiple_face_results: LooseBoolean.optional(),
    face_rec_result: z.string().max(320).optional().openapi({
      description:
        "Who the device recognised: \"match\"/\"verified\" or the student's own email or id mean the student; any other non-empty value (\"mismatch\", another identity) raises face_mismatch",
    }),
    confidence_score: Score.optional(),
    is_error_occurred: LooseBoolean.optional(),
    error_type: ErrorType.optional(),
    is_voice_detected: LooseBoolean.optional(),
    is_voice_verified: LooseBoolean.optional(),
    voice_confidence_score: Score.optional(),
    is_voice_error_occurred: LooseBoolean.optional(),
    error_type_voice: ErrorType.optional(),
  })
  .openapi("Monitoring");


export const route = createRoute({
  method: "post",
  // Registered without the slash: with `strict: false` both /monitoring and /monitoring/ reach it.
  path: "/monitoring",
  tags: ["Monitoring"],
  summary: "Records what the student's device observed during a started examination and raises alerts",
  description:
    "An optional `Idempotency-Key` header (1-200 visible ASCII characters, unique per report) makes resending safe: a report " +
    "sent again with the same key (after a 503, a timeout or a lost answer) is stored once and answered as the first time. " +
    "The same key with a different report is a 400 naming `Idempotency-Key`, and that report is not stored.",
  security: [{ Bearer: [] }],
  // Counted with the student's other monitoring requests: each report is a database write.
  middleware: [requireRole("STUDENT"), biometricRateLimit("monitoring"), jsonBody(256 * 1024)] as const,
  request: { ...jsonRequest(Monitoring), headers: IdempotencyHeaders },
  responses: {
    200: ok(
      envelope({ resource_array: z.array(z.string()) }),
      "Recorded; `resource_array` lists the alert reasons this report raised (e.g. `forbidden_process: anydesk.exe`)",
    ),
    ...examNotFound,
    ...authErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerMonitoring = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { exam_id, running_processes, ...rest } = c.req.valid("json");
    const report = { ...rest, running_processes: parseProcessList(running_processes) };
    const { alerts } = await recordDeviceReport(dbOf(c), c.get("caller"), exam_id, report, c.get("now"), idempotencyKey(c.req.header("idempotency-key")), decisionBase(c, { endpoint: route.path }));
    return c.json(
      {
        message: "Monitoring data recorded successfully",
        resource_name: "monitoring",
        resource_array: alerts.map((a) => (a.detail ? `${a.reason}: ${a.detail}` : a.reason)),
      },
      200,
    );
  });
