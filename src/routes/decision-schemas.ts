// Schemas of the decision-record endpoints (docs/decisions.md) and the one mapper from a stored record to
// what the API shows. Written for the API: ids as the API names them, times as ISO 8601, the explanation
// in words; the instructor's view adds the student, the student's view never names the reviewer.
import { z } from "@hono/zod-openapi";
import { explain } from "../services/decisions/explain";
import type { DecisionRow } from "../services/decisions/record";
import { MAX_PAGE_SIZE } from "../services/decisions/lists";
import { NotFoundBody } from "./schemas";

const iso = (ms: number) => new Date(ms).toISOString();
const intParam = (name: string, min: number, max: number, fallback: number) =>
  z
    .preprocess(
      (v) => (v === undefined || v === "" ? fallback : typeof v === "string" && /^\d{1,9}$/.test(v) ? Number(v) : v),
      z
        .number({ error: `Expected ${name} as an integer.` })
        .int({ error: `Expected ${name} as an integer.` })
        .min(min, { error: `Expected ${name} from ${min} to ${max}.` })
        .max(max, { error: `Expected ${name} from ${min} to ${max}.` }),
    )
    .openapi({ type: "integer", minimum: min, maximum: max, default: fallback });

export const PageQuery = {
  page: intParam("page", 1, 1_000_000, 1).openapi({ description: "1-based page number", example: 1 }),
  page_size: intParam("page_size", 1, MAX_PAGE_SIZE, 20).openapi({ description: `Records per page (1-${MAX_PAGE_SIZE})`, example: 20 }),
};

// Stored lower-case; UUIDs are case-insensitive on input (RFC 4122), so an upper-case copy finds the same record.
export const DecisionId = z
  .uuid("Expected a decision id (UUID).")
  .transform((id) => id.toLowerCase())
  .openapi({ type: "string", format: "uuid", example: "6f1c0a1e-2b1d-4c4e-9a43-4f1f0b1f2c3d" });

export const Pagination = z
  .object({ page: z.number().int(), page_size: z.number().int(), has_more: z.boolean() })
  .openapi("DecisionPage");

const DecisionAlert = z.object({ reason: z.string(), detail: z.string().nullable() });

export const DecisionView = z
  .object({
    decision_id: z.string(),
    exam_id: z.string().nullable().openapi({ description: "The exam the decision was taken in (a string, as in exam lists), or null" }),
    modality: z.enum(["face", "voice", "handwriting", "keystroke", "processes"]),
    action: z.enum(["register", "verify", "monitoring", "identification"]),
    endpoint: z.string().openapi({ example: "/biometrics/face_verify" }),
    outcome: z.enum(["accepted", "mismatch", "quality", "flagged", "not_enrolled"]).openapi({
      description: "accepted; mismatch (not the registered person); quality (the sample could not be judged, see `reason`); flagged (an alert other than a mismatch); not_enrolled",
    }),
    reason: z.string().nullable().openapi({ example: "no_face" }),
    score: z.number().nullable(),
    threshold: z.number().nullable(),
    decide_on: z.enum(["similarity", "distance"]).nullable().openapi({ description: "similarity: accepted at or above the threshold; distance: at or below" }),
    security_level: z.enum(["high", "standard"]).nullable(),
    model_id: z.string().nullable(),
    model_sha256: z.string().nullable().openapi({ description: "sha256 of the model file (wasm-models/MODELS.md); null for models that are code" }),
    scoring_sha256: z.string().nullable().openapi({
      description: "sha256 of the scoring file that turned the compared embeddings into the score (voice: wasm-models/voice-cohort.json); null where the score is code (face cosine, handwriting and keystroke distances)",
    }),
    template_version: z.number().int().nullable(),
    quality: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])).nullable().openapi({
      description: "Measurements of the sample (faces, liveness, speech_seconds, ...); never the sample",
    }),
    alerts: z.array(DecisionAlert),
    client_os: z.string().nullable(),
    request_id: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    explanation: z.string().openapi({ example: "The picture matched your registered face: similarity 0.71, the level 'high' needs at least 0.44." }),
    contest: z.object({ text: z.string(), contested_at: z.string() }).nullable(),
    review: z.object({ resolution: z.enum(["upheld", "overturned"]), reason: z.string(), resolved_at: z.string() }).nullable(),
  })
  .openapi("Decision");

export const InstructorDecisionView = DecisionView.extend({
  student: z.object({ email: z.string(), name: z.string(), surname: z.string() }).nullable().openapi({ description: "null once the student's account was erased" }),
}).openapi("InstructorDecision");

export const decisionNotFound = {
  404: { content: { "application/json": { schema: NotFoundBody } }, description: "No such decision of the caller's (another's answers the same)" },
};

export function decisionView(d: DecisionRow): z.infer<typeof DecisionView> {
  return {
    decision_id: d.id,
    exam_id: d.examId === null ? null : String(d.examId),
    modality: d.modality,
    action: d.action,
    endpoint: d.endpoint,
    outcome: d.outcome,
    reason: d.reason,
    score: d.score,
    threshold: d.threshold,
    decide_on: d.decideOn,
    security_level: d.securityLevel,
    model_id: d.modelId,
    model_sha256: d.modelSha256,
    scoring_sha256: d.scoringSha256,
    template_version: d.templateVersion,
    quality: (d.quality ?? null) as Record<string, number | boolean | string | null> | null,
    alerts: ((d.alertsRaised ?? []) as { reason: string; detail: string | null }[]).map((a) => ({ reason: a.reason, detail: a.detail })),
    client_os: d.clientOs,
    request_id: d.requestId,
    created_at: iso(d.createdAt),
    explanation: explain(d),
    contest: d.contestedAt !== null ? { text: d.contestText ?? "", contested_at: iso(d.contestedAt) } : null,
    review: d.resolution !== null && d.resolvedAt !== null ? { resolution: d.resolution, reason: d.resolutionReason ?? "", resolved_at: iso(d.resolvedAt) } : null,
  };
}
