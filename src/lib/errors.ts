// One error type for the whole API, rendered into the TRUSTID envelopes in exactly one place
// (renderError). Handlers and services throw; they never build error JSON themselves.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type FieldErrors = Record<string, string[]>;

/**
 * A bad value as an error message quotes it: short strings and numbers as JSON, long strings cut, arrays
 * and objects by kind only. Quoting the whole value sent a megabyte-long body back (found by fuzzing).
 */
export function valuePreview(value: unknown, max = 60): string {
  if (typeof value === "string") return JSON.stringify(value.length > max ? `${value.slice(0, max)}...` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

export type ErrorBody =
  | { kind: "message" }
  | {
      kind: "validation";
      missing: string[];
      badFormatted: string[];
      alreadyExists: string[];
      details: FieldErrors;
    }
  | { kind: "not_found"; resourceName: string; resourceStr: string };

export class AppError extends Error {
  /**
   * What was measured about a refused biometric sample (faces seen, liveness score, seconds of speech): kept in the
   * refusal's decision record (services/decisions/refusals.ts), never sent in the answer.
   */
  measurements?: Record<string, number | boolean | string | null>;

  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly body: ErrorBody = { kind: "message" },
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** This error, carrying the sample's measurements for its decision record. */
  measured(m: Record<string, number | boolean | string | null | undefined>): this {
    const defined = Object.entries(m).filter((e): e is [string, number | boolean | string | null] => e[1] !== undefined);
    if (defined.length > 0) this.measurements = Object.fromEntries(defined);
    return this;
  }

  /** 400 with the documented field lists. */
  static validation(
    fields: { missing?: string[]; badFormatted?: string[]; alreadyExists?: string[]; details?: FieldErrors },
    message = "Bad request",
  ) {
    return new AppError(400, message, {
      kind: "validation",
      missing: fields.missing ?? [],
      badFormatted: fields.badFormatted ?? [],
      alreadyExists: fields.alreadyExists ?? [],
      details: fields.details ?? {},
    });
  }
  static badField(field: string, detail: string) {
    return AppError.validation({ badFormatted: [field], details: { [field]: [detail] } });
  }
  static alreadyExists(field: string, detail: string) {
    return AppError.validation({ alreadyExists: [field], details: { [field]: [detail] } }, "Resource already exists");
  }
  static malformedJson(detail: string) {
    return AppError.validation({ details: { json: [detail] } }, "Malformed JSON in request body");
  }
  static unauthorized(message = "Authentication credentials were not provided or are invalid") {
    return new AppError(401, message, { kind: "message" }, { "WWW-Authenticate": 'Bearer realm="trustid"' });
  }
  static forbidden(message = "You do not have permission to perform this action") {
    return new AppError(403, message);
  }
  static notFound(resourceName: string, resourceStr: string, message = `The ${resourceName} was not found`) {
    return new AppError(404, message, { kind: "not_found", resourceName, resourceStr });
  }
  /** 503 with Retry-After: overloaded, or a dependency (database, inference) down or too slow. */
  static unavailable(retryAfterSeconds: number, message = "The service is temporarily unavailable; try again later") {
    return new AppError(503, message, { kind: "message" }, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
  static tooManyRequests(retryAfterSeconds: number, message = "Too many requests; try again later") {
    return new AppError(429, message, { kind: "message" }, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/**
 * The 503 AppError behind an error, if any: libSQL and drizzle wrap what the database fetch threw (our
 * DatabaseUnavailable, see db/client.ts) in their own errors, so the `cause` chain is followed.
 */
export function unavailableCause(err: unknown): AppError | null {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e instanceof Error; depth++) {
    if (e instanceof AppError && e.status === 503) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** A database write refused because a row it points at is gone (SQLite's FOREIGN KEY constraint), through
 * whatever wrapped the driver's error (drizzle's query error keeps it as `cause`). */
export function isForeignKeyViolation(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_FOREIGNKEY" || /FOREIGN KEY constraint failed/.test(x.message)) return true;
  }
  return false;
}

/**
 * The database has not been set up (its migrations not applied: SQLite's "no such table" / "no such column"), as
 * when a deployment skips `npm run db:migrate`: the operator's to fix, answered 503, not a 500 per request (a probe).
 */
export function isMissingSchema(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (/no such (table|column)/.test(x.message)) return true;
  }
  return false;
}
