// POST /backend/student/request_manual_approval
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody, textBodyLimit } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { requestManualApproval } from "../../services/exams/verification";
import type { AppEnv } from "../../types";
import { examinationReply, ExamId, examNotFound } from "../exam-schemas";
import { notifyPartnerSoon } from "../partner-notify";
import { authErrors, commonErrors, jsonRequest } from "../schemas";

const StudentRequestManualApproval = z
  .object({
    exam_id: ExamId,
    manual_approval_type: z.string().trim().min(1).max(200).openapi({ description: "Why, e.g. \"Face not recognised\"" }),
  })
  .openapi("StudentRequestManualApproval");

export const route = createRoute({
  method: "post",
  path: "/student/request_manual_approval",
  tags: ["Student"],
  summary: "Asks the instructor to approve the calling student's identity manually for the examination",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), jsonBody(textBodyLimit(200))] as const,
  request: jsonRequest(StudentRequestManualApproval),
  responses: {
    200: examinationReply("Request recorded; verification status is now \"Requested Manual Approval\""),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerRequestManualApproval = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    await requestManualApproval(dbOf(c), c.get("caller"), { examId: b.exam_id, approvalType: b.manual_approval_type }, c.get("now"));
    notifyPartnerSoon(c, b.exam_id);
    return c.json({ message: "Manual approval requested successfully", resource_name: "examination", resource_str: String(b.exam_id) }, 200);
  });
