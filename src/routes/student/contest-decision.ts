// POST /backend/student/contest_decision
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody, textBodyLimit } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { contestDecision, MAX_CONTEST_LENGTH } from "../../services/decisions/review";
import type { AppEnv } from "../../types";
import { DecisionId, decisionNotFound, DecisionView, decisionView } from "../decision-schemas";
import { authErrors, commonErrors, envelope, jsonRequest, ok } from "../schemas";

const StudentContestDecision = z
  .object({
    decision_id: DecisionId,
    text: z.string().trim().min(1).max(MAX_CONTEST_LENGTH).openapi({ description: "Why the student thinks the decision is wrong", example: "That was me; the light was poor." }),
  })
  .openapi("StudentContestDecision");

export const route = createRoute({
  method: "post",
  path: "/student/contest_decision",
  tags: ["Student"],
  summary: "Contests one of the calling student's decisions taken in an exam; the exam's instructor reviews it",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), jsonBody(textBodyLimit(MAX_CONTEST_LENGTH))] as const,
  request: jsonRequest(StudentContestDecision),
  responses: {
    200: ok(envelope({ resource_obj: DecisionView }), "Contest recorded; the decision as it now stands"),
    ...decisionNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerContestDecision = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const { row, reviewerNamed } = await contestDecision(dbOf(c), c.get("caller"), b.decision_id, b.text, c.get("now"));
    const message = reviewerNamed
      ? "Decision contested; your instructor will review it"
      : "Decision contested; the exam has no instructor yet (your institution's system has not named one): it will be reviewed once one is";
    return c.json({ message, resource_name: "decision", resource_obj: decisionView(row) }, 200);
  });
