// POST /backend/instructor/add_exam
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { createExam, MAX_EXAM_NAME_LENGTH } from "../../services/exams/details";
import { institutionTimeZone } from "../../services/accounts";
import type { AppEnv } from "../../types";
import { EXAM_BODY_LIMIT, examDetailFields, examInputOf, examinationReply, ScheduledDate } from "../exam-schemas";
import { authErrors, commonErrors, jsonRequest } from "../schemas";

const AddExam = z
  .object({
    name: z.string().trim().min(1).max(MAX_EXAM_NAME_LENGTH),
    scheduled_date: ScheduledDate.openapi({ description: "Must be in the future (and within two years)" }),
    ...examDetailFields,
  })
  .openapi("AddExam");

export const route = createRoute({
  method: "post",
  path: "/instructor/add_exam",
  tags: ["Instructor"],
  summary: "Creates an examination owned by the calling instructor",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR"), jsonBody(EXAM_BODY_LIMIT)] as const,
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
      examInputOf(b, await institutionTimeZone(dbOf(c), c.get("caller").institutionId)),
      c.get("now"),
    );
    return c.json({ message: "Examination created successfully", resource_name: "examination", resource_str: String(exam.id) }, 200);
  });
