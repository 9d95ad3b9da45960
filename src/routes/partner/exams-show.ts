// GET /api/v3/exams/:id
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { findExam } from "../../services/partner/exams";
import { examJson } from "../../services/partner/serialize";
import { ExamObject, SIGNED_NOTE, examNotFound, nonceOf, ok, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, documentParams } from "./common";

export const route = createRoute({
  method: "get",
  path: "/exams/{id}",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Shows an exam",
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: ok(z.object({ exam: ExamObject }), "The exam"), ...examNotFound, ...partnerErrors },
});

export const registerExamsShow = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const exam = await findExam(partnerDb(c), scopeOf(c), c.req.valid("param").id, c.get("now"), nonceOf(c));
    return c.json({ exam: examJson(exam) }, 200);
  });
