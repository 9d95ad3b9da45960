// POST /backend/student/check_verification_status
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { verificationStatus } from "../../services/exams/verification";
import type { AppEnv } from "../../types";
import { ExamId, examNotFound } from "../exam-schemas";
import { authErrors, commonErrors, envelope, jsonRequest, ok } from "../schemas";

const StudentCheckVerificationStatus = z.object({ exam_id: ExamId }).openapi("StudentCheckVerificationStatus");

export const route = createRoute({
  method: "post",
  path: "/student/check_verification_status",
  tags: ["Student"],
  summary: "Whether the calling student is verified for the examination (for polling)",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), jsonBody(4 * 1024)] as const,
  request: jsonRequest(StudentCheckVerificationStatus),
  responses: {
    200: ok(
      envelope({ resource_bool: z.boolean(), resource_str: z.enum(["Pending", "Requested Manual Approval", "Verified"]) }),
      "`resource_bool` is true when verified; `resource_str` is the verification status",
    ),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerCheckVerificationStatus = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const status = await verificationStatus(dbOf(c), c.get("caller"), c.req.valid("json").exam_id, c.get("now"));
    return c.json(
      { message: `Verification status: ${status}`, resource_name: "examination", resource_bool: status === "Verified", resource_str: status },
      200,
    );
  });
