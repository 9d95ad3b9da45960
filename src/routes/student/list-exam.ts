// GET /backend/student/list_exam
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { listStudentExams } from "../../services/exams/listings";
import type { AppEnv } from "../../types";
import { StudentExamView } from "../exam-schemas";
import { studentExamView } from "../exam-views";
import { authErrors, commonErrors, envelope, ok } from "../schemas";

export const route = createRoute({
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
    const now = c.get("now");
    const list = (await listStudentExams(dbOf(c), c.get("caller"))).map((r) => studentExamView(r, now));
    return c.json({ message: "Examinations retrieved successfully", resource_name: "examination", resource_array: list }, 200);
  });
