// The one place where thrown errors become HTTP responses.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../types";
import { errorBody } from "./envelope";
import { AppError, isForeignKeyViolation, isMissingSchema, unavailableCause } from "./errors";
import { templatesLocked } from "../middleware/template-lock";
import { heldExamOf } from "../templates/holds";

export function handleError(err: unknown, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? "unknown";
  let appError: AppError;
  const heldBy = heldExamOf(err);
  if (err instanceof AppError) {
    appError = err;
  } else if (heldBy !== null) {
    // The student's object refused a template change: a verification held the templates after the lock check passed.
    appError = templatesLocked(heldBy);
  } else if (err instanceof HTTPException && err.status < 500) {
    // Hono's own refusals (e.g. an unparsable form body) keep their status, in our envelope.
    appError = err.status === 400 ? AppError.malformedJson(err.message) : new AppError(err.status, err.message);
  } else if (isForeignKeyViolation(err)) {
    // A write pointing at a row removed meanwhile (an account removed while its access token is still valid, an exam
    // deleted by its partner system): the request cannot be applied as it stands; a refusal, not a 500.
    logUnexpected(c, err);
    appError = new AppError(409, "Something this request refers to was removed meanwhile (an account or an exam); reload and try again");
  } else if (isMissingSchema(err)) {
    // Migrations not applied to this database (README "Deploying"): logged for the operator, a 503 for the client.
    logUnexpected(c, err);
    appError = new AppError(503, "The service's database is not set up yet (its migrations have not been applied); try again later");
  } else if (unavailableCause(err)) {
    // The database did not answer (down, or slower than DB_TIMEOUT_MS): the client may retry.
    appError = unavailableCause(err)!;
    logUnavailable(c, err);
  } else {
    logUnexpected(c, err);
    appError = new AppError(500, "Internal server error; quote the request id when reporting it");
  }
  const res = c.json(errorBody(appError, requestId), appError.status);
  for (const [k, v] of Object.entries(appError.headers)) res.headers.set(k, v);
  res.headers.set("X-Request-Id", requestId);
  return res;
}

/** Logs an unexpected error with the request id the client is shown (and nothing about the body). */
export function logUnexpected(c: Context, err: unknown) {
  console.error(
    JSON.stringify({
      level: "error",
      request_id: c.get("requestId") ?? "unknown",
      method: c.req.method,
      path: c.req.path,
      ...describeError(err),
    }),
  );
}

// drizzle's DrizzleQueryError puts the statement's bound values in its message ("Failed query: <sql>\nparams:
// <values>"): password hashes, emails, names, push tokens, sealed secrets. Logs keep the SQL, never the values.
const QUERY_PARAMS = /\nparams: [\s\S]*$/;
// Defence in depth: a JWT (access, refresh or wallet JWE header) quoted in some library's message.
const JWT_LIKE = /\beyJ[\w-]{4,}\.[\w.-]+/g;

// Cut before the token search (its pattern is quadratic on a long run of "-eyJ...": an audit), after the values go.
const redact = (text: string) => text.replace(QUERY_PARAMS, "\nparams: [redacted]").slice(0, 4000).replace(JWT_LIKE, "[redacted token]").slice(0, 2000);

/**
 * What the log may say about an error: its name, its message without bound query values or tokens, the
 * same for its cause, and the stack frames only (a stack's first line repeats the unredacted message).
 */
export function describeError(err: unknown): { error: string; cause?: string; stack?: string } {
  if (!(err instanceof Error)) return { error: redact(String(err)) };
  const cause = err.cause instanceof Error ? redact(`${err.cause.name}: ${err.cause.message}`) : undefined;
  const frames = err.stack?.split("\n").filter((line) => /^\s+at /.test(line)).join("\n");
  return { error: redact(`${err.name}: ${err.message}`), cause, stack: frames || undefined };
}

/** One warning line per request refused because a dependency is unavailable (not a bug: no stack). */
export function logUnavailable(c: Context, err: unknown) {
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "dependency unavailable",
      request_id: c.get("requestId") ?? "unknown",
      method: c.req.method,
      path: c.req.path,
      error: unavailableCause(err)?.message ?? String(err),
      cause: String(unavailableCause(err)?.cause ?? ""),
    }),
  );
}
