// What every partner endpoint shares: its middleware, its scope, the pagination headers, callback
// delivery right after a change, and the OpenAPI pieces.
import { type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../../env";
import { partnerAuth, partnerAuthNonceInBatch } from "../../middleware/partner-auth";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { MAX_BODY_BYTES, partnerParams } from "../../middleware/partner-params";
import { callbackExpiryMs, deliveryOptions } from "../../services/partner/jobs";
import { deliverDueCallbacks } from "../../services/partner/outbox";
import { describeError } from "../../lib/handle-error";
import { claimPageFor, mailContextOf, mailInvitations, mailSender } from "../../services/invitations";
import type { WrittenSession } from "../../services/partner/sessions";

/** The nonce used up before the endpoint runs: the safe default for a new endpoint. */
export const partnerMiddleware = [partnerParams, partnerAuth];
/**
 * For endpoints that pass `nonceOf(c)` to the batch of their first reads, before any write: one round trip
 * less. An endpoint on this list that forgot to would have the nonce used up only after it ran (writes included).
 */
export const partnerNonceInReadMiddleware = [partnerParams, partnerAuthNonceInBatch];

/**
 * Documents `route` whole (its `request.query` and `request.body` included) in the app's OpenAPI document and
 * returns the route to register the handler with: hidden (documented here already) and with only its path ids,
 * so that @hono/zod-openapi installs no validator for the parameters. Such validators would answer before the
 * handler (and before a replayed nonce is refused in its batch), with their own 400 or 415 instead of
 * ProctorExam's answers, and read the body partner-params.ts has read already: the handler reads the
 * parameters itself (inputs.ts, services/partner/params.ts), after the signature check.
 */
export function documentParams<R extends RouteConfig>(app: OpenAPIHono<PartnerEnv>, route: R) {
  const { middleware: _middleware, hide: _hide, ...documented } = route;
  // Every operation documents the signing parameters and the Accept header it cannot work without (a client
  // generated from the document without them got a 403 on every call).
  const query = documented.request?.query as z.ZodObject | undefined;
  app.openAPIRegistry.registerPath({
    ...documented,
    request: { ...documented.request, query: query ? query.extend(SIGNING_PARAMS.shape) : SIGNING_PARAMS, headers: PARTNER_HEADERS },
  });
  const params = route.request?.params;
  // Through `unknown`: TypeScript cannot relate the object built to the conditional type of `request`.
  return { ...route, hide: true, request: params ? { params } : {} } as unknown as Served<R>;
}
type Served<R extends RouteConfig> = Omit<R, "request" | "hide"> & { hide: true; request: R["request"] extends { params: infer P } ? { params: P } : object };

/** The signing parameters (docs/partner-api.md, "Signing"); here in the query, though a body may carry them instead. */
const SIGNING_PARAMS = z.object({
  timestamp: z.string().regex(/^\d+$/).openapi({ description: "Milliseconds since 1970 (UTC); at most 5 minutes (by default) from the server's clock", example: "1700000000000" }),
  nonce: z.string().regex(/^\d+$/).openapi({ description: "A number the institution has not used in the last 24 hours", example: "831209" }),
  signature: z.string().regex(/^[0-9a-fA-F]{64}$/).openapi({
    description: "Hex HMAC-SHA256, under the institution's secret key, of every other parameter (path ids included), each `name=value` (not URL-encoded), sorted by name, joined with `?`",
  }),
});
const PARTNER_HEADERS = z.object({ accept: z.literal("application/vnd.procwise.v3").openapi({ description: "The API version" }) });

/**
 * The `request` parameters of a route with a body (POST, PUT, PATCH): each may come in the query or in a JSON or
 * form body, in any mix (partner-params.ts), so in the query they are all optional and the body is optional too.
 */
export function bodyParams<S extends z.ZodObject>(schema: S) {
  const body = { schema };
  return {
    query: schema.partial(),
    body: {
      required: false,
      description: "The parameters as a JSON object or a form, or some of them (the others in the query)",
      content: { "application/json": body, "application/x-www-form-urlencoded": body, "multipart/form-data": body },
    },
  };
}

export const scopeOf = (c: Context<PartnerEnv>) => ({ institutionId: c.get("partnerInstitutionId") });
export const paramsOf = (c: Context<PartnerEnv>) => c.get("partnerParams");
export const nonceOf = (c: Context<PartnerEnv>) => c.get("partnerNonce");
export const expiryOf = (c: Context<PartnerEnv>) => callbackExpiryMs(loadConfig(c.env));

/** X-Pagination-* headers; an empty result still has one (empty) page. */
export function setPagination(c: Context<PartnerEnv>, total: number, page: number, limit: number) {
  c.header("X-Pagination-Item-Count", String(total));
  c.header("X-Pagination-Page-Count", String(Math.max(1, Math.ceil(total / limit))));
  c.header("X-Pagination-Page", String(page));
  c.header("X-Pagination-Limit", String(limit));
}

/** Mails a session's new invitation (when a mail sender is configured); the token is in the answer either way. */
export async function mailSessionInvitation(c: Context<PartnerEnv>, written: WrittenSession) {
  if (!written.invitation) return;
  const config = loadConfig(c.env);
  if (!mailSender(config)) return; // no mail sender: nothing to read for a mail
  const context = written.mailContext ?? (await mailContextOf(partnerDb(c), c.get("partnerInstitutionId"), written.session.examId));
  await mailInvitations(config, [written.invitation], { ...context, claimPage: claimPageFor(c.req.url) });
}

/** Tries the events a change queued now instead of at the next scheduled run (which retries if this fails). */
export function deliverSoon(c: Context<PartnerEnv>, queued: number) {
  if (queued === 0) return;
  const config = loadConfig(c.env);
  const sealKey = config.partner.secretKeyEncryptionKey;
  if (!sealKey) return;
  const work = deliverDueCallbacks(partnerDb(c), deliveryOptions(config, sealKey), c.get("now")).catch((e) =>
    console.error(JSON.stringify({ level: "error", msg: "partner callback delivery failed", ...describeError(e) })),
  );
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (e.g. app.request in a unit test): the scheduled handler delivers.
  }
}

const ErrorBody = z.object({ error: z.string() }).openapi("PartnerErrorBody");
// An unexpected failure also quotes the request id (src/routes/partner/errors.ts), to be given when reporting it.
const UnavailableBody = z.object({ error: z.string(), request_id: z.string().optional() }).openapi("PartnerUnavailableBody");
// Answers are JSON, documented first under the API's media type: a client generated from the document takes its
// Accept header from the responses' media types, the first by default (OpenAPI ignores an `Accept` header
// parameter), and only `application/vnd.procwise.v3` is accepted (a probe's generated client sent
// application/json and got 403). The Content-Type answered is application/json, listed second.
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/vnd.procwise.v3": { schema }, "application/json": { schema } },
  description,
});

// Every partner route reads its parameters through middleware/partner-params.ts, whose refusals (400, 413,
// 415) any of them can answer, as docs/partner-api.md lists.
export const partnerErrors = {
  400: json(ErrorBody, "A malformed body: not valid UTF-8, JSON that is not an object, a malformed multipart body"),
  403: json(ErrorBody, "`You are not authorized to access this page.` (any authentication failure)"),
  413: json(ErrorBody, `A body over ${MAX_BODY_BYTES} bytes (${Math.floor(MAX_BODY_BYTES / 1024)} KiB)`),
  415: json(ErrorBody, "A body that is not JSON, urlencoded or multipart form data"),
  422: json(
    z.union([ErrorBody, z.record(z.string(), z.array(z.string()))]),
    "`Param is missing or the value is empty: 'param'`, an invalid parameter, or field errors such as `{\"email\":[\"has already been taken\"]}`",
  ),
  503: json(UnavailableBody, "Not configured or temporarily unavailable (with `Retry-After`); retry later"),
};
export const examNotFound = { 404: json(ErrorBody, "`Couldn't find Exam with 'id'=...` (also for another institution's exam)") };
export const sessionNotFound = { 404: json(ErrorBody, "The exam or the student session does not exist for the caller") };

export const SIGNED_NOTE =
  "Every request carries `timestamp` (ms), `nonce` and `signature` (query, JSON or form parameters) and the headers " +
  "`Accept: application/vnd.procwise.v3` and `Authorization: Token token=...`; see docs/partner-api.md.";

const time = z.string().nullable().openapi({ description: "ISO 8601, UTC", example: "2018-11-17T16:09:39.373Z" });
const nothing = z.null().openapi({ description: "Always null here (ProctorExam machinery we do not run)" });
const check = z.string().openapi({ example: "not_started" });

export const ExamObject = z
  .object({
    id: z.number().int(),
    name: z.string(),
    status: z.enum(["draft", "open", "closed"]),
    type: z.string().openapi({ description: "The partner's own exam type, kept as given", example: "classic" }),
    exam_type: z.enum(["Oral", "Written"]).openapi({ description: "TRUSTID exam type" }),
    duration: z.number().int().openapi({ description: "Minutes" }),
    start_time: time,
    end_time: time,
    started_at: time,
    completed_at: time,
    created_at: time,
    updated_at: time,
  })
  .openapi("PartnerExam");

export const SessionObject = z
  .object({
    id: z.number().int(),
    session_id: nothing,
    student_id: z.number().int().openapi({ description: "The TRUSTID user id of the student" }),
    external_id: z.string().nullable(),
    proctor_id: nothing,
    time_slot: nothing,
    created_at: time,
    updated_at: time,
    email: z.string(),
    operating_system: nothing,
    browser: nothing,
    browser_version: nothing,
    status: z.enum(["registered", "email_sent", "after_check_req", "in_setup", "exam_not_started", "exam_started", "exam_finished"]),
    token: z.string().nullable().openapi({
      description:
        "The invitation token of a student whose TRUSTID account is not claimed yet, only in the create (or email-changing update) answer that issued it; null otherwise. The student registers with it (`/backend/register_user`, `invitation_token`). Also mailed to the student when the server has a mail sender.",
    }),
    screenshare_check: check,
    microphone_check: check,
    speakers_check: check,
    webcam_check: check,
    mobile_check: check,
    dummy_exam_survey: nothing,
    skip_requirements: z.boolean(),
    send_confirmation: z.boolean(),
    name: z.string(),
    start_time: time,
    exam_id: z.number().int(),
    expires_at: nothing,
    end_time: time,
    entered_room: z.boolean(),
    reservation_time: nothing,
    exam_document_content_type: nothing,
    exam_document_file_size: nothing,
    exam_document_updated_at: nothing,
    reviewed: z.string(),
    id_card_file_name: nothing,
    id_card_content_type: nothing,
    id_card_file_size: nothing,
    face_photo_file_name: nothing,
    face_photo_content_type: nothing,
    face_photo_file_size: nothing,
    bandwidth_check: check,
    bandwidth_speed: nothing,
    open_time: time,
    individual_info: z.string().nullable(),
    rtc_session_id: z.number().int(),
    in_setup: z.boolean(),
    in_check_requirements: z.boolean(),
    attempt: z.number().int(),
    archived: z.boolean(),
    current_exam_mode: z.string(),
    rtc_session_ids: z.array(z.string()),
    transcoding_status: z.string(),
    is_individual_info_html: z.boolean(),
    priority: z.string(),
    recording_started_at: nothing,
    recording_ended_at: nothing,
    verification_status: z.enum(["Pending", "Requested Manual Approval", "Verified"]).openapi({ description: "TRUSTID addition" }),
    alerts_count: z.number().int().openapi({ description: "TRUSTID addition: proctoring alerts raised for this student in this exam" }),
  })
  .openapi("PartnerStudentSession");
export const ok = <T extends z.ZodType>(schema: T, description: string) => json(schema, description);
export const pageHeaders = {
  "X-Pagination-Item-Count": { schema: { type: "integer" as const } },
  "X-Pagination-Page-Count": { schema: { type: "integer" as const } },
  "X-Pagination-Page": { schema: { type: "integer" as const } },
  "X-Pagination-Limit": { schema: { type: "integer" as const } },
};
export const security = [{ PartnerToken: [] }];
