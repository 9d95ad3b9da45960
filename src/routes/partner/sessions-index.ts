// GET /api/v3/exams/:exam_id/student_sessions (`page`, `limit`)
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { pagination } from "../../services/partner/params";
import { sessionJson } from "../../services/partner/serialize";
import { listSessions } from "../../services/partner/sessions";
import { SIGNED_NOTE, SessionObject, examNotFound, ok, pageHeaders, paramsOf, nonceOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, setPagination, documentParams } from "./common";
import { PageParams } from "./inputs";

export const route = createRoute({
  method: "get",
  path: "/exams/{exam_id}/student_sessions",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Lists an exam's student sessions (`page`, `limit` up to 300)",
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ exam_id: z.string() }), query: PageParams },
  responses: {
    200: { ...ok(z.object({ student_sessions: z.array(SessionObject) }), "One page of sessions, oldest first"), headers: pageHeaders },
    ...examNotFound,
    ...partnerErrors,
  },
});

export const registerSessionsIndex = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const { page, limit } = pagination(paramsOf(c));
    const { items, total } = await listSessions(partnerDb(c), scopeOf(c), c.req.valid("param").exam_id, { page, limit }, c.get("now"), nonceOf(c));
    setPagination(c, total, page, limit);
    return c.json({ student_sessions: items.map((r) => sessionJson(r)) }, 200);
  });
