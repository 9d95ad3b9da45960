// POST /api/v3/exams
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { createExam } from "../../services/partner/exams";
import { examJson } from "../../services/partner/serialize";
import { ExamObject, nonceOf, ok, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, SIGNED_NOTE, documentParams, bodyParams } from "./common";
import { newExamInput, NewExamParams } from "./inputs";

export const route = createRoute({
  method: "post",
  path: "/exams",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Creates an exam (a TRUSTID exam): `name` (required), `status`, `type`, `exam_type`, `duration`, `start_time`, `end_time`, `instructor_email`",
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: bodyParams(NewExamParams),
  responses: { 201: ok(z.object({ exam: ExamObject }), "The new exam"), ...partnerErrors },
});

export const registerExamsCreate = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const exam = await createExam(partnerDb(c), scopeOf(c), newExamInput(paramsOf(c)), c.get("now"), nonceOf(c));
    return c.json({ exam: examJson(exam) }, 201);
  });
