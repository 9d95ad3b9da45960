// GET /backend/student/list_exam
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { listStudentExams } from "../../services/exams";
import type { AppEnv } from "../../types";
import { ExamView } from "../exam-schemas";
import { authErrors, commonErrors, envelope, ok } from "../schemas";

const StudentExamView = ExamView.extend({
  verification_status: z.enum(["Pending", "Requested Manual Approval", "Verified"]),
  joined_at: z.string().nullable(),
  left_at: z.string().nullable(),
}).openapi("StudentExamView");

const route = createRoute({
  method: "get",
  path: "/student/list_exam",
  tags: ["Student"],
  summary: "Lists the examinations the calling student is enrolled in",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT")] as const,
  responses: {
    200: ok(envelope({ resource_array: z.array(StudentExamView) }), "The examinations, by scheduled date"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerStudentListExam = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const list = await listStudentExams(dbOf(c), c.get("caller"), c.get("now"));
    return c.json({ message: "Examinations retrieved successfully", resource_name: "examination", resource_array: list }, 200);
  });
