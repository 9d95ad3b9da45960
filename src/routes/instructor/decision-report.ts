// GET /backend/instructor/decision_report
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { AppError } from "../../lib/errors";
import { examReport, institutionReport } from "../../services/decisions/report";
import type { AppEnv } from "../../types";
import { ExamId, examNotFound } from "../exam-schemas";
import { authErrors, commonErrors, envelope, ok, queryParams } from "../schemas";

// 366 calendar days plus the hour a daylight-saving change adds: the dashboard sends local midnights, and a year
// from 27 March to 27 March in Athens is 366 days and one hour long.
const MAX_PERIOD_MS = 366 * 86_400_000 + 3_600_000;
const Instant = z.iso
  .datetime({ offset: true, error: "Expected an ISO 8601 date-time with a time zone, e.g. 2026-06-01T00:00:00Z." })
  .transform((s) => Date.parse(s))
  .openapi({ type: "string", format: "date-time" });

const Query = queryParams({
  exam_id: ExamId.optional().openapi({ description: "One of the instructor's exams; without it, the institution over [from, to)" }),
  from: Instant.optional(),
  to: Instant.optional(),
});

const Counts = z.object({
  decisions: z.number().int(),
  refusals: z.number().int().openapi({ description: "quality refusals + mismatches" }),
  refusal_rate: z.number(),
  quality_refusals: z.record(z.string(), z.number().int()).openapi({ description: "Per quality reason (no_face, liveness_failed, no_speech, ...)" }),
  mismatches: z.number().int(),
  contests: z.number().int(),
  overturns: z.number().int(),
});
const Group = Counts.extend({ group: z.string() });
export const CohortReport = z
  .object({
    scope: z.object({ exam_id: z.number().int().nullable(), from: z.number().int().nullable(), to: z.number().int().nullable() }),
    overall: Counts,
    manual_approvals: z.number().int(),
    by_modality: z.array(Group),
    by_client_os: z.array(Group).openapi({ description: "By the family of the operating system the client reported (`operating_sys`): Windows, macOS, Linux, ChromeOS, Android, iOS, other; 'not reported' when it sent none" }),
    warnings: z.array(
      z.object({ split: z.enum(["modality", "client_os"]), group: z.string(), refusal_rate: z.number(), overall_refusal_rate: z.number(), message: z.string() }),
    ),
  })
  .openapi("DecisionCohortReport");

export const route = createRoute({
  method: "get",
  path: "/instructor/decision_report",
  tags: ["Instructor"],
  summary: "Error report of the automated decisions: one exam of the instructor's, or the institution over a period (counts only)",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR")] as const,
  request: { query: Query },
  responses: {
    200: ok(envelope({ resource_obj: CohortReport }), "The report"),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerDecisionReport = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const db = dbOf(c);
    let report;
    if (q.exam_id !== undefined) {
      report = await examReport(db, c.get("caller"), q.exam_id, c.get("now"));
    } else {
      if (q.from === undefined || q.to === undefined) {
        const missing = [q.from === undefined ? "from" : null, q.to === undefined ? "to" : null].filter((x): x is string => x !== null);
        throw AppError.validation({ missing, details: Object.fromEntries(missing.map((f) => [f, ["Required without exam_id (the period of the institution's report)."]])) });
      }
      if (q.to <= q.from || q.to - q.from > MAX_PERIOD_MS) throw AppError.badField("to", "Must be after `from`, at most 366 days later (local days: one daylight-saving hour is allowed).");
      report = await institutionReport(db, c.get("caller"), { from: q.from, to: q.to });
    }
    return c.json({ message: "Report computed", resource_name: "decision_report", resource_obj: report }, 200);
  });
