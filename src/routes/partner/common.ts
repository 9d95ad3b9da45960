// What every partner endpoint shares: its middleware, its scope, the pagination headers, callback
// delivery right after a change, and the OpenAPI pieces.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../../env";
import { partnerAuth } from "../../middleware/partner-auth";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { partnerParams } from "../../middleware/partner-params";
import { callbackExpiryMs, deliveryOptions } from "../../services/partner/jobs";
import { deliverDueCallbacks } from "../../services/partner/outbox";

export const partnerMiddleware = [partnerParams, partnerAuth];

export const scopeOf = (c: Context<PartnerEnv>) => ({ institutionId: c.get("partnerInstitutionId") });
export const paramsOf = (c: Context<PartnerEnv>) => c.get("partnerParams");
export const expiryOf = (c: Context<PartnerEnv>) => callbackExpiryMs(loadConfig(c.env));

/** X-Pagination-* headers; an empty result still has one (empty) page. */
export function setPagination(c: Context<PartnerEnv>, total: number, page: number, limit: number) {
  c.header("X-Pagination-Item-Count", String(total));
  c.header("X-Pagination-Page-Count", String(Math.max(1, Math.ceil(total / limit))));
  c.header("X-Pagination-Page", String(page));
  c.header("X-Pagination-Limit", String(limit));
}

/** Tries the events a change queued now instead of at the next scheduled run (which retries if this fails). */
export function deliverSoon(c: Context<PartnerEnv>, queued: number) {
  if (queued === 0) return;
  const config = loadConfig(c.env);
  const sealKey = config.partner.secretKeyEncryptionKey;
  if (!sealKey) return;
  const work = deliverDueCallbacks(partnerDb(c), deliveryOptions(config, sealKey), c.get("now")).catch((e) =>
    console.error(JSON.stringify({ level: "error", msg: "partner callback delivery failed", error: String(e) })),
  );
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (e.g. app.request in a unit test): the scheduled handler delivers.
  }
}

const ErrorBody = z.object({ error: z.string() }).openapi("PartnerErrorBody");
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });

export const partnerErrors = {
  403: json(ErrorBody, "`You are not authorized to access this page.` (any authentication failure)"),
  422: json(
    z.union([ErrorBody, z.record(z.string(), z.array(z.string()))]),
    "`Param is missing or the value is empty: 'param'`, an invalid parameter, or field errors such as `{\"email\":[\"has already been taken\"]}`",
  ),
  503: json(ErrorBody, "Not configured or temporarily unavailable; retry later"),
};
export const examNotFound = { 404: json(ErrorBody, "`Couldn't find Exam with 'id'=...` (also for another institution's exam)") };
export const sessionNotFound = { 404: json(ErrorBody, "The exam or the student session does not exist for the caller") };

export const SIGNED_NOTE =
  "Every request carries `timestamp` (ms), `nonce` and `signature` (query, JSON or form parameters) and the headers " +
  "`Accept: application/vnd.procwise.v3` and `Authorization: Token token=...`; see docs/partner-api.md.";

const objectOf = (name: string) => z.record(z.string(), z.unknown()).openapi({ description: `The ${name} object; see docs/partner-api.md` });
export const ExamObject = objectOf("exam");
export const SessionObject = objectOf("student session");
export const ok = <T extends z.ZodType>(schema: T, description: string) => json(schema, description);
export const pageHeaders = {
  "X-Pagination-Item-Count": { schema: { type: "integer" as const } },
  "X-Pagination-Page-Count": { schema: { type: "integer" as const } },
  "X-Pagination-Page": { schema: { type: "integer" as const } },
  "X-Pagination-Limit": { schema: { type: "integer" as const } },
};
export const security = [{ PartnerToken: [] }];
