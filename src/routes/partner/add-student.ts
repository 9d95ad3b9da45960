// POST /api/v3/exams/:id/add_student (deprecated form of POST .../student_sessions)
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { sessionJson } from "../../services/partner/serialize";
import { createSession } from "../../services/partner/sessions";
import { loadConfig } from "../../env";
import { examNotFound, mailSessionInvitation, nonceOf, ok, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, SessionObject, SIGNED_NOTE, documentParams, bodyParams } from "./common";
import { newSessionInput, NewSessionParams } from "./inputs";

export const route = createRoute({
  method: "post",
  path: "/exams/{id}/add_student",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Deprecated: adds a student (as POST /exams/{exam_id}/student_sessions)",
  deprecated: true,
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ id: z.string() }), ...bodyParams(NewSessionParams) },
  responses: { 201: ok(z.object({ student: SessionObject }), "The new student session"), ...examNotFound, ...partnerErrors },
});

export const registerAddStudent = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const written = await createSession(partnerDb(c), scopeOf(c), c.req.valid("param").id, newSessionInput(paramsOf(c)), c.get("now"), loadConfig(c.env).mail.invitationTtlHours, nonceOf(c));
    await mailSessionInvitation(c, written);
    return c.json({ student: sessionJson(written.session, written.invitation?.token ?? null) }, 201);
  });
