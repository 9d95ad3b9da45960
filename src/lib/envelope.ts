// The TRUSTID success envelope. Every successful response is `message` + `resource_name` plus the
// `resource_*` (or `is_match`, `is_voice_detected`, `extra_details`) fields the endpoint documents.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "./errors";

export type Envelope = {
  message: string;
  resource_name: string;
  resource_bool?: boolean;
  resource_str?: string;
  resource_array?: unknown[];
  resource_dict?: Record<string, unknown>;
  resource_obj?: Record<string, unknown>;
  extra_details?: string;
  is_match?: boolean;
  is_voice_detected?: boolean;
};

export const reply = <S extends ContentfulStatusCode, B extends Envelope>(c: Context, status: S, body: B) =>
  c.json(body, status);

/** Renders an AppError into the documented error bodies. */
export function errorBody(err: AppError, requestId: string): Record<string, unknown> {
  const b = err.body;
  switch (b.kind) {
    case "validation":
      return {
        message: err.message,
        missing_required_fields: b.missing,
        bad_formatted_fields: b.badFormatted,
        already_exists_fields: b.alreadyExists,
        error_details: b.details,
      };
    case "not_found":
      return { message: err.message, resource_name: b.resourceName, resource_str: b.resourceStr };
    default:
      return err.status >= 500 ? { message: err.message, request_id: requestId } : { message: err.message };
  }
}
