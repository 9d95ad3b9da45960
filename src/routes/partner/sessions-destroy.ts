// DELETE /api/v3/exams/:exam_id/student_sessions/:id
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { sessionJson } from "../../services/partner/serialize";
import { deleteSession } from "../../services/partner/sessions";
import { nonceOf, ok, partnerErrors, partnerNonceInReadMiddleware, scopeOf, security, sessionNotFound, SessionObject, SIGNED_NOTE, documentParams } from "./common";

export const route = createRoute({
  method: "delete",
  path: "/exams/{exam_id}/student_sessions/{id}",
  tags: ["Partner API (ProctorExam v3)"],
  summary: "Removes a student from an exam (not while the student is taking it)",
  description: SIGNED_NOTE,
  security,
  middleware: partnerNonceInReadMiddleware,
  request: { params: z.object({ exam_id: z.string(), id: z.string() }) },
  responses: { 200: ok(z.object({ student: SessionObject }), "The deleted student session"), ...sessionNotFound, ...partnerErrors },
});

export const registerSessionsDestroy = (app: OpenAPIHono<PartnerEnv>) =>
  app.openapi(documentParams(app, route), async (c) => {
    const { exam_id, id } = c.req.valid("param");
    return c.json({ student: sessionJson(await deleteSession(partnerDb(c), scopeOf(c), exam_id, id, c.get("now"), nonceOf(c))) }, 200);
  });
