// POST /backend/instructor/add_exam
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { createExam } from "../../services/exams";
import type { AppEnv } from "../../types";
import { Duration, examinationReply, ExamType, ForbiddenProcesses, ScheduledDate } from "../exam-schemas";
import { authErrors, commonErrors, jsonRequest } from "../schemas";

const AddExam = z
  .object({
    name: z.string().trim().min(1).max(200),
    exam_type: ExamType,
    duration: Duration,
    scheduled_date: ScheduledDate.openapi({ description: "Must be in the future (and within two years)" }),
    privacy_policy: z.string().trim().min(1).max(20_000),
    additional_material: z.boolean().optional(),
    forbidden_processes: ForbiddenProcesses.optional(),
    moodle_course_id: z.string().regex(/^\d{1,15}$/, "Expected a Moodle course id.").optional(),
  })
  .openapi("AddExam");

const route = createRoute({
  method: "post",
  path: "/instructor/add_exam",
  tags: ["Instructor"],
  summary: "Creates an examination owned by the calling instructor",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR"), jsonBody(64 * 1024)] as const,
  request: jsonRequest(AddExam),
  responses: {
    200: examinationReply("Examination created; `resource_str` is its id"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerAddExam = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const exam = await createExam(
      dbOf(c),
      c.get("caller"),
      {
        name: b.name,
        examType: b.exam_type,
        durationMinutes: b.duration,
        scheduledAt: b.scheduled_date,
        privacyPolicy: b.privacy_policy,
        additionalMaterial: b.additional_material,
        forbiddenProcesses: b.forbidden_processes,
        moodleCourseId: b.moodle_course_id,
      },
      c.get("now"),
    );
    return c.json({ message: "Examination created successfully", resource_name: "examination", resource_str: String(exam.id) }, 200);
  });
