// GET /backend/instructor/decisions
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { listExamDecisions } from "../../services/decisions/lists";
import type { AppEnv } from "../../types";
import { decisionView, InstructorDecisionView, PageQuery, Pagination } from "../decision-schemas";
import { ExamId, examNotFound } from "../exam-schemas";
import { authErrors, commonErrors, Email, envelope, ok, queryParams } from "../schemas";

const Query = queryParams({
  exam_id: ExamId,
  email: Email.optional().openapi({ description: "Only this student's decisions (their timeline)" }),
  contested: z.enum(["true", "false"]).optional().openapi({ description: "true: only contested decisions" }),
  ...PageQuery,
});

export const route = createRoute({
  method: "get",
  path: "/instructor/decisions",
  tags: ["Instructor"],
  summary: "Lists the automated biometric decisions taken in one of the instructor's examinations, newest first",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR")] as const,
  request: { query: Query },
  responses: {
    200: ok(envelope({ resource_array: z.array(InstructorDecisionView), resource_dict: Pagination }), "One page of the exam's decisions"),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerInstructorDecisions = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const page = await listExamDecisions(
      dbOf(c),
      c.get("caller"),
      { examId: q.exam_id, email: q.email, contested: q.contested === "true" },
      { page: q.page, pageSize: q.page_size },
      c.get("now"),
    );
    return c.json(
      {
        message: "Decisions retrieved successfully",
        resource_name: "decision",
        resource_array: page.items.map((x) => ({ ...decisionView(x.decision), student: x.student })),
        resource_dict: { page: page.page, page_size: page.pageSize, has_more: page.hasMore },
      },
      200,
    );
  });
