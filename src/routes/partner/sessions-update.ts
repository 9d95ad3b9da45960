// PUT|PATCH /api/v3/exams/:exam_id/student_sessions/:id
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { sessionJson } from "../../services/partner/serialize";
import { updateSession } from "../../services/partner/sessions";
import { loadConfig } from "../../env";
import { mailSessionInvitation, nonceOf, ok, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, sessionNotFound, SessionObject, SIGNED_NOTE, documentParams, bodyParams } from "./common";
import { sessionInput, SessionParams } from "./inputs";

export const routeFor = (method: "put" | "patch") =>
  createRoute({
    method,
    path: "/exams/{exam_id}/student_sessions/{id}",
    tags: ["Partner API (ProctorExam v3)"],
    summary: "Updates a student session (same parameters as create, all optional)",
    description: SIGNED_NOTE,
    security,
    middleware: partnerNonceInReadMiddleware,
    request: { params: z.object({ exam_id: z.string(), id: z.string() }), ...bodyParams(SessionParams) },
    responses: { 200: ok(z.object({ student: SessionObject }), "The updated student session"), ...sessionNotFound, ...partnerErrors },
  });

export const registerSessionsUpdate = (app: OpenAPIHono<PartnerEnv>) => {
  for (const method of ["put", "patch"] as const) {
    app.openapi(documentParams(app, routeFor(method)), async (c) => {
      const { exam_id, id } = c.req.valid("param");
      const written = await updateSession(partnerDb(c), scopeOf(c), exam_id, id, sessionInput(paramsOf(c)), c.get("now"), loadConfig(c.env).mail.invitationTtlHours, nonceOf(c));
      await mailSessionInvitation(c, written);
      return c.json({ student: sessionJson(written.session, written.invitation?.token ?? null) }, 200);
    });
  }
};
