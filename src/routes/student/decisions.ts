// GET /backend/student/decisions
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { listStudentDecisions } from "../../services/decisions/lists";
import type { AppEnv } from "../../types";
import { DecisionView, decisionView, PageQuery, Pagination } from "../decision-schemas";
import { authErrors, commonErrors, envelope, ok, queryParams } from "../schemas";

export const route = createRoute({
  method: "get",
  path: "/student/decisions",
  tags: ["Student"],
  summary: "Lists the automated biometric decisions taken about the calling student, newest first, each explained in words",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT")] as const,
  request: { query: queryParams(PageQuery) },
  responses: {
    200: ok(envelope({ resource_array: z.array(DecisionView), resource_dict: Pagination }), "One page of the student's decisions"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerStudentDecisions = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const page = await listStudentDecisions(dbOf(c), c.get("caller"), { page: q.page, pageSize: q.page_size });
    return c.json(
      {
        message: "Decisions retrieved successfully",
        resource_name: "decision",
        resource_array: page.items.map(decisionView),
        resource_dict: { page: page.page, page_size: page.pageSize, has_more: page.hasMore },
      },
      200,
    );
  });
