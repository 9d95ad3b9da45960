// POST /backend/student/identification
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decisionBase } from "../decision-context";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { imageBytesFromField } from "../../services/biometrics/face";
import { identify, looksLikeImage } from "../../services/monitoring/face";
import type { AppEnv } from "../../types";
import { LIMITS } from "../biometrics/schemas";
import { ExamId, examNotFound } from "../exam-schemas";
import { notifyPartnerSoon } from "../partner-notify";
import { authErrors, commonErrors, envelope, jsonRequest, ok, tooMany } from "../schemas";
import { limitInFlight } from "../../lib/overload";

const StudentIdentification = z
  .object({
    exam_id: ExamId,
    identification_result: z.string().trim().min(1).max(9 * 1024 * 1024).openapi({
      description:
        "Either a picture of the student (base64 or a data:image URI): the server verifies it 1:1 and a live match verifies the student " +
        "for the exam; or the device's own result (\"match\", \"mismatch\", an identity), which is recorded but never verifies anyone.",
    }),
  })
  .openapi("StudentIdentification");

export const route = createRoute({
  method: "post",
  path: "/student/identification",
  tags: ["Student"],
  summary: "Identifies the student for an examination (server-side face check, or a recorded device result)",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), biometricRateLimit("verify"), limitInFlight("inference"), jsonBody(LIMITS.faceVerify)] as const,
  request: jsonRequest(StudentIdentification),
  responses: {
    200: ok(
      envelope({ resource_bool: z.boolean(), resource_str: z.string(), resource_array: z.array(z.string()) }),
      "`resource_bool`: the student is now verified for the exam by this check; `resource_str`: the outcome; `resource_array`: alerts raised",
    ),
    ...examNotFound,
    ...authErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerIdentification = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const image = looksLikeImage(b.identification_result) ? imageBytesFromField("identification_result", b.identification_result) : undefined;
    const out = await identify(c.env, dbOf(c), c.get("caller"), { examId: b.exam_id, identificationResult: b.identification_result, decisionBase: decisionBase(c, { endpoint: route.path, examId: b.exam_id }), ...(image ? { image } : {}) }, c.get("now"));
    if (out.verified) notifyPartnerSoon(c, b.exam_id);
    return c.json(
      {
        message: out.verified ? "Identity verified for the examination" : "Identification recorded",
        resource_name: "identification",
        resource_bool: out.verified,
        resource_str: out.match ? out.match.outcome : "recorded",
        resource_array: out.alerts.map((a) => (a.detail ? `${a.reason}: ${a.detail}` : a.reason)),
      },
      200,
    );
  });
