// PUT|PATCH /api/v3/exams/:id
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { updateExam } from "../../services/partner/exams";
import { examJson } from "../../services/partner/serialize";
import { deliverSoon, examNotFound, ExamObject, expiryOf, nonceOf, ok, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, SIGNED_NOTE, documentParams, bodyParams } from "./common";
import { examInput, ExamParams } from "./inputs";

export const routeFor = (method: "put" | "patch") =>
  createRoute({
    method,
    path: "/exams/{id}",
    tags: ["Partner API (ProctorExam v3)"],
    summary: "Updates an exam; `status=closed` completes it in TRUSTID (sessions in progress become exam_finished)",
    description: SIGNED_NOTE,
    security,
    middleware: partnerNonceInReadMiddleware,
    request: { params: z.object({ id: z.string() }), ...bodyParams(ExamParams) },
    responses: { 200: ok(z.object({ exam: ExamObject }), "The updated exam"), ...examNotFound, ...partnerErrors },
  });

export const registerExamsUpdate = (app: OpenAPIHono<PartnerEnv>) => {
  for (const method of ["put", "patch"] as const) {
    app.openapi(documentParams(app, routeFor(method)), async (c) => {
      const { exam, queued } = await updateExam(partnerDb(c), scopeOf(c), c.req.valid("param").id, examInput(paramsOf(c)), c.get("now"), expiryOf(c), nonceOf(c));
      deliverSoon(c, queued);
      return c.json({ exam: examJson(exam) }, 200);
    });
  }
};
