// GET /api/v3/exams (optional `status` draft|open|closed; `page`, `limit`)
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { listExams } from "../../services/partner/exams";
import { optEnum, pagination } from "../../services/partner/params";
import { examJson } from "../../services/partner/serialize";
import { PARTNER_EXAM_STATUSES } from "../../services/exams/lifecycle";
import { ExamObject, nonceOf, ok, pageHeaders, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, setPagination, SIGNED_NOTE, documentParams } from "./common";
import { ExamListParams } from "./inputs";

export const route = createRoute({
  method: "get",
  path: "/exams",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Lists the institution's exams, optionally by `status` (draft, open, closed), `page` and `limit` (max 300)",
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { query: ExamListParams },
  responses: {
    200: { ...ok(z.object({ exams: z.array(ExamObject) }), "One page of exams, oldest first"), headers: pageHeaders },
    ...partnerErrors,
  },
});

export const registerExamsIndex = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const p = paramsOf(c);
    const status = optEnum(p, "status", PARTNER_EXAM_STATUSES);
    const { page, limit } = pagination(p);
    const { items, total } = await listExams(partnerDb(c), scopeOf(c), { status, page, limit }, c.get("now"), nonceOf(c));
    setPagination(c, total, page, limit);
    return c.json({ exams: items.map(examJson) }, 200);
  });
