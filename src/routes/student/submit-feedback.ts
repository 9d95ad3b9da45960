// POST /backend/student/submit_feedback
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody, textBodyLimit } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { submitFeedback } from "../../services/exams/student-reports";
import type { AppEnv } from "../../types";
import { examinationReply, ExamId, examNotFound } from "../exam-schemas";
import { authErrors, commonErrors, jsonRequest } from "../schemas";

const StudentSubmitFeedback = z
  .object({
    exam_id: ExamId,
    cheat_mode: z.enum(["Communication", "Impersonation"]),
    feedback: z.string().trim().min(1).max(5000),
  })
  .openapi("StudentSubmitFeedback");

export const route = createRoute({
  method: "post",
  path: "/student/submit_feedback",
  tags: ["Student"],
  summary: "Records the calling student's feedback about an examination they are enrolled in",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), jsonBody(textBodyLimit(5000))] as const,
  request: jsonRequest(StudentSubmitFeedback),
  responses: {
    200: examinationReply("Feedback recorded"),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerSubmitFeedback = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    await submitFeedback(dbOf(c), c.get("caller"), { examId: b.exam_id, cheatMode: b.cheat_mode, feedback: b.feedback }, c.get("now"));
    return c.json({ message: "Feedback submitted successfully", resource_name: "examination", resource_str: String(b.exam_id) }, 200);
  });
