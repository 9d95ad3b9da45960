// DELETE /api/v3/exams/:id
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { deleteExam } from "../../services/partner/exams";
import { examJson } from "../../services/partner/serialize";
import { examNotFound, ExamObject, nonceOf, ok, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, SIGNED_NOTE, documentParams } from "./common";

export const route = createRoute({
  method: "delete",
  path: "/exams/{id}",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Deletes an exam with its student sessions (not while it is in progress)",
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: ok(z.object({ exam: ExamObject }), "The deleted exam"), ...examNotFound, ...partnerErrors },
});

export const registerExamsDestroy = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const exam = await deleteExam(partnerDb(c), scopeOf(c), c.req.valid("param").id, c.get("now"), nonceOf(c));
    return c.json({ exam: examJson(exam) }, 200);
  });
