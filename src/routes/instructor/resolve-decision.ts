// POST /backend/instructor/resolve_decision
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody, textBodyLimit } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { MAX_REASON_LENGTH, resolveDecision } from "../../services/decisions/review";
import { notifyPartnerSoon } from "../partner-notify";
import type { AppEnv } from "../../types";
import { DecisionId, decisionNotFound, DecisionView, decisionView } from "../decision-schemas";
import { authErrors, commonErrors, envelope, jsonRequest, ok } from "../schemas";

const InstructorResolveDecision = z
  .object({
    decision_id: DecisionId,
    resolution: z.enum(["upheld", "overturned"]).openapi({
      description: "overturned: a refused verification marks the student verified (manually), an accepted one is withdrawn; a monitoring alert loses this occurrence",
    }),
    reason: z.string().trim().min(1).max(MAX_REASON_LENGTH).openapi({ example: "Checked the recording of the session: it is the student." }),
  })
  .openapi("InstructorResolveDecision");

export const route = createRoute({
  method: "post",
  path: "/instructor/resolve_decision",
  tags: ["Instructor"],
  summary: "Resolves a contested decision of one of the instructor's examinations (human review)",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR"), jsonBody(textBodyLimit(MAX_REASON_LENGTH))] as const,
  request: jsonRequest(InstructorResolveDecision),
  responses: {
    200: ok(envelope({ resource_obj: DecisionView }), "Resolved; the decision as it now stands"),
    ...decisionNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerResolveDecision = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const row = await resolveDecision(dbOf(c), c.get("caller"), { id: b.decision_id, resolution: b.resolution, reason: b.reason }, c.get("now"));
    // An overturned verification changes the session's status, which partner callbacks report.
    if (row.resolution === "overturned" && row.examId !== null) notifyPartnerSoon(c, row.examId);
    return c.json({ message: `Decision ${row.resolution}`, resource_name: "decision", resource_obj: decisionView(row) }, 200);
  });
