// GET /api/v3/exams/:id/show_student?student_session_id=... (deprecated form of GET .../student_sessions/:id)
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { reqId } from "../../services/partner/params";
import { sessionJson } from "../../services/partner/serialize";
import { findSession } from "../../services/partner/sessions";
import { nonceOf, ok, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, sessionNotFound, SessionObject, SIGNED_NOTE, documentParams } from "./common";
import { StudentSessionIdParams } from "./inputs";

export const route = createRoute({
  method: "get",
  path: "/exams/{id}/show_student",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Deprecated: shows the student session named by `student_session_id`",
  deprecated: true,
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ id: z.string() }), query: StudentSessionIdParams },
  responses: { 200: ok(z.object({ student: SessionObject }), "The student session"), ...sessionNotFound, ...partnerErrors },
});

export const registerShowStudent = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const sessionId = reqId(paramsOf(c), "student_session_id");
    return c.json({ student: sessionJson(await findSession(partnerDb(c), scopeOf(c), c.req.valid("param").id, sessionId, c.get("now"), nonceOf(c))) }, 200);
  });
