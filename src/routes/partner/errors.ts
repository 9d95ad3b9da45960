// The partner API's own error rendering (ProctorExam's bodies, not the TRUSTID envelopes):
// `{"error": "<message>"}`, or for model validation errors `{"<field>": ["<message>"]}`.
// Unexpected failures (the database unreachable, a bug) are logged with the request id and answered
// 503 with Retry-After: a partner's retry is the right reaction, and no internals leak.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { logUnavailable, logUnexpected } from "../../lib/handle-error";
import { AppError, unavailableCause } from "../../lib/errors";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { PartnerError } from "../../services/partner/errors";

export function handlePartnerError(err: unknown, c: Context<PartnerEnv>): Response {
  const requestId = c.get("requestId") ?? "unknown";
  let res: Response;
  if (err instanceof PartnerError) {
    res = c.json(err.fields ?? { error: err.message }, err.status);
  } else if ((err instanceof AppError || err instanceof HTTPException) && err.status < 500) {
    res = c.json({ error: err.message }, err.status as 400);
  } else if (unavailableCause(err)) {
    // Not configured, overloaded, or the database down: the AppError's own Retry-After when it has one.
    const unavailable = unavailableCause(err)!;
    if (unavailable !== err) logUnavailable(c, err);
    res = c.json({ error: unavailable.message }, 503);
    res.headers.set("Retry-After", unavailable.headers["Retry-After"] ?? "60");
  } else {
    logUnexpected(c, err);
    res = c.json({ error: "Service temporarily unavailable; quote the request id when reporting it", request_id: requestId }, 503);
    res.headers.set("Retry-After", "30");
  }
  res.headers.set("X-Request-Id", requestId);
  return res;
}
