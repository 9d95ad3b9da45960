// The optional Idempotency-Key header of the monitoring endpoints (/monitoring/ and the server-checked samples of
// /biometrics/monitoring*): a device that resends after a 503, a timeout or a lost answer sends the same key, and the
// report is stored once and answered as the first time (services/monitoring/replay.ts, docs/exams.md).
import { z } from "@hono/zod-openapi";
import { AppError } from "../lib/errors";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The header's value, checked (1-200 visible ASCII characters), or undefined when it was not sent. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) throw AppError.badField("Idempotency-Key", "1-200 visible ASCII characters, no spaces.");
  return header;
}

/** The header as the OpenAPI document declares it (checked by idempotencyKey, whose message names what to fix). */
export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      // Header names are case-insensitive; the validator reads them lower-cased (a differing param name is a conflict).
      description:
        "Optional, 1-200 visible ASCII characters, unique per report: a report sent again with the same key (after a 503, a timeout or a lost " +
        "answer) is checked and stored once and answered as the first time; the same key with another report is a 400 naming Idempotency-Key",
    }),
});
