// POST /backend/instructor/update_exam_details
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { MAX_EXAM_NAME_LENGTH, updateExam } from "../../services/exams/details";
import { institutionTimeZone } from "../../services/accounts";
import type { AppEnv } from "../../types";
import { EXAM_BODY_LIMIT, examDetailFields, examInputOf, examinationReply, ExamId, examNotFound, MAX_PRIVACY_POLICY_LENGTH, ScheduledDate } from "../exam-schemas";
import { authErrors, commonErrors, jsonRequest } from "../schemas";

const UpdateExam = z
  .object({
    exam_id: ExamId,
    name: z.string().trim().min(1).max(MAX_EXAM_NAME_LENGTH).optional(),
    scheduled_date: ScheduledDate.openapi({
      description: "May lie in the past: a window that has already ended completes the exam (how an exam is ended early)",
    }),
    ...examDetailFields,
    privacy_policy: z.string().trim().max(MAX_PRIVACY_POLICY_LENGTH).openapi({
      description: "Required; may be empty only for an exam that has none (created through the partner API): saved back unchanged",
    }),
  })
  .openapi("UpdateExam");

export const route = createRoute({
  method: "post",
  path: "/instructor/update_exam_details",
  tags: ["Instructor"],
  summary: "Updates an examination of the calling instructor that has not completed",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR"), jsonBody(EXAM_BODY_LIMIT)] as const,
  request: jsonRequest(UpdateExam),
  responses: {
    200: examinationReply("Examination updated; `resource_str` is its status now"),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerUpdateExamDetails = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const exam = await updateExam(
      dbOf(c),
      c.get("caller"),
      b.exam_id,
      examInputOf(b, await institutionTimeZone(dbOf(c), c.get("caller").institutionId)),
      c.get("now"),
    );
    return c.json({ message: "Examination updated successfully", resource_name: "examination", resource_str: exam.status }, 200);
  });
