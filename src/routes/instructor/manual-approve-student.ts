// POST /backend/instructor/manual_approve_student
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { approveStudent } from "../../services/exams/verification";
import { notifyPartnerSoon } from "../partner-notify";
import type { AppEnv } from "../../types";
import { examinationReply, ExamId, examNotFound } from "../exam-schemas";
import { authErrors, commonErrors, Email, jsonRequest } from "../schemas";

const InstructorManualApproveStudent = z.object({ exam_id: ExamId, email: Email }).openapi("InstructorManualApproveStudent");

export const route = createRoute({
  method: "post",
  path: "/instructor/manual_approve_student",
  tags: ["Instructor"],
  summary: "Marks an enrolled student verified for one of the instructor's examinations (with or without a request)",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR"), jsonBody(4 * 1024)] as const,
  request: jsonRequest(InstructorManualApproveStudent),
  responses: {
    200: examinationReply("Student verified (or already was)"),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerManualApproveStudent = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const { changed } = await approveStudent(dbOf(c), c.get("caller"), { examId: b.exam_id, email: b.email }, c.get("now"));
    if (changed) notifyPartnerSoon(c, b.exam_id);
    return c.json(
      {
        message: changed ? "Student approved successfully" : "Student was already verified",
        resource_name: "user",
        resource_str: b.email,
      },
      200,
    );
  });
