// GET /backend/instructor/list_exam
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { listInstructorExams } from "../../services/exams";
import type { AppEnv } from "../../types";
import { EnrolledStudentView, ExamView } from "../exam-schemas";
import { authErrors, commonErrors, envelope, ok } from "../schemas";

const InstructorExamView = ExamView.extend({
  forbidden_processes: z.array(z.string()).openapi({ description: "The exam's own patterns (the institution's apply too)" }),
  moodle_course_id: z.string().nullable(),
  enrolled_students: z.array(EnrolledStudentView),
}).openapi("InstructorExamView");

const route = createRoute({
  method: "get",
  path: "/instructor/list_exam",
  tags: ["Instructor"],
  summary: "Lists the calling instructor's examinations with their students, verification status and alerts",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR")] as const,
  responses: {
    200: ok(envelope({ resource_array: z.array(InstructorExamView) }), "The examinations, by scheduled date"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerInstructorListExam = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const list = await listInstructorExams(dbOf(c), c.get("caller"), c.get("now"));
    return c.json({ message: "Examinations retrieved successfully", resource_name: "examination", resource_array: list }, 200);
  });
