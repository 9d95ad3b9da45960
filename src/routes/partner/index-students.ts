// GET /api/v3/exams/:id/index_students (deprecated form of GET .../student_sessions)
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { pagination } from "../../services/partner/params";
import { sessionJson } from "../../services/partner/serialize";
import { listSessions } from "../../services/partner/sessions";
import { examNotFound, nonceOf, ok, pageHeaders, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, SessionObject, setPagination, SIGNED_NOTE, documentParams } from "./common";
import { PageParams } from "./inputs";

export const route = createRoute({
  method: "get",
  path: "/exams/{id}/index_students",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Deprecated: lists an exam's students (as GET /exams/{exam_id}/student_sessions, wrapped in `students`)",
  deprecated: true,
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ id: z.string() }), query: PageParams },
  responses: {
    200: { ...ok(z.object({ students: z.array(SessionObject) }), "One page of sessions"), headers: pageHeaders },
    ...examNotFound,
    ...partnerErrors,
  },
});

export const registerIndexStudents = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const { page, limit } = pagination(paramsOf(c));
    const { items, total } = await listSessions(partnerDb(c), scopeOf(c), c.req.valid("param").id, { page, limit }, c.get("now"), nonceOf(c));
    setPagination(c, total, page, limit);
    return c.json({ students: items.map((r) => sessionJson(r)) }, 200);
  });
