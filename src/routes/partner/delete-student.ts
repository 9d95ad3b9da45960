// DELETE /api/v3/exams/:id/delete_student?student_session_id=... (deprecated form of DELETE .../student_sessions/:id)
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { reqId } from "../../services/partner/params";
import { sessionJson } from "../../services/partner/serialize";
import { deleteSession } from "../../services/partner/sessions";
import { nonceOf, ok, paramsOf, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, sessionNotFound, SessionObject, SIGNED_NOTE, documentParams } from "./common";
import { StudentSessionIdParams } from "./inputs";

export const route = createRoute({
  method: "delete",
  path: "/exams/{id}/delete_student",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Deprecated: removes the student session named by `student_session_id`",
  deprecated: true,
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ id: z.string() }), query: StudentSessionIdParams },
  responses: { 200: ok(z.object({ student: SessionObject }), "The deleted student session"), ...sessionNotFound, ...partnerErrors },
});

export const registerDeleteStudent = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const sessionId = reqId(paramsOf(c), "student_session_id");
    return c.json({ student: sessionJson(await deleteSession(partnerDb(c), scopeOf(c), c.req.valid("param").id, sessionId, c.get("now"), nonceOf(c))) }, 200);
  });
