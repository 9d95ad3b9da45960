// GET /backend/instructor/list_exam
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { listInstructorExams } from "../../services/exams/listings";
import type { AppEnv } from "../../types";
import { InstructorExamView } from "../exam-schemas";
import { instructorExamView } from "../exam-views";
import { authErrors, commonErrors, envelope, ok } from "../schemas";

export const route = createRoute({
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
    const now = c.get("now");
    const list = (await listInstructorExams(dbOf(c), c.get("caller"))).map((r) => instructorExamView(r, now));
    return c.json({ message: "Examinations retrieved successfully", resource_name: "examination", resource_array: list }, 200);
  });
