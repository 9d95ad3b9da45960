// Schemas shared by route definitions: the TRUSTID envelopes and the documented error bodies. Request
// schemas are written for the API (not derived from tables); responses are built by explicit mappers.
import { SECURITY_LEVELS } from "../biometrics/security-level";
import { z } from "@hono/zod-openapi";
import { emailFormat } from "../lib/email";

// Messages zod words for its own types rather than for a client (a probe): a null (Python's None) in a field, and a number
// too large to be one (1e400 parses as Infinity). Every other message is zod's or the schema's own.
z.config({
  customError: (issue) => {
    if (issue.code === "invalid_type" && issue.input === null) {
      const expected = issue.expected === "array" || issue.expected === "object" ? `an ${issue.expected}` : `a ${issue.expected}`;
      return `Expected ${expected}, not null (leave an optional field out rather than send null)`;
    }
    if (issue.code === "invalid_type" && issue.expected === "number" && typeof issue.input === "number") return "Expected a finite number";
    return undefined;
  },
});

export const MessageBody = z.object({ message: z.string() }).openapi("MessageBody");

export const ValidationErrorBody = z
  .object({
    message: z.string(),
    missing_required_fields: z.array(z.string()),
    bad_formatted_fields: z.array(z.string()),
    already_exists_fields: z.array(z.string()),
    error_details: z.record(z.string(), z.array(z.string())).openapi({
      description: "Messages per field; a body that is not valid JSON gives the single key `json`.",
    }),
  })
  .openapi("ValidationErrorBody");

export const NotFoundBody = z
  .object({ message: z.string(), resource_name: z.string(), resource_str: z.string() })
  .openapi("NotFoundBody");

export const ServerErrorBody = z
  .object({ message: z.string(), request_id: z.string() })
  .openapi("ServerErrorBody");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** Success envelope: `message`, `resource_name` and the endpoint's own `resource_*` fields. */
export const envelope = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ message: z.string(), resource_name: z.string(), ...shape });

export const ok = <T extends z.ZodType>(schema: T, description = "Success") => json(schema, description);

/** The error responses every route can give; routes add 403/404/429 where they apply. */
export const commonErrors = {
  400: json(ValidationErrorBody, "Bad request: missing, already existing or badly formatted fields"),
  405: json(MessageBody, "Method not allowed"),
  409: json(MessageBody, "Something the request refers to was removed meanwhile (an account, an exam); reload and try again"),
  413: json(MessageBody, "Request body too large for this endpoint"),
  415: json(MessageBody, "Unsupported media type"),
  500: json(ServerErrorBody, "Internal server error (with the request id the log carries)"),
  503: json(MessageBody, "Service not configured or a dependency is unavailable"),
};
export const authErrors = {
  401: json(MessageBody, "Missing, invalid or expired access token"),
  403: json(MessageBody, "The caller's role may not use this endpoint"),
};
/** authErrors for endpoints that change templates (middleware/template-lock.ts). */
export const templateChangeAuthErrors = {
  ...authErrors,
  403: json(MessageBody, "Not a student, or an exam the student is verified for is in progress (templates are locked until it ends)"),
};
export const notFound = (description: string) => ({ 404: json(NotFoundBody, description) });
export const tooMany = { 429: json(MessageBody, "Too many requests; see Retry-After") };

export const jsonRequest = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(emailFormat("Enter a valid email address."))
  .openapi({ type: "string", format: "email", example: "student@example.org" });
export const Organization = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .openapi({ description: "Institution code, e.g. UC, UCY, UPAT", example: "UCY" });
export const Role = z.enum(["INSTRUCTOR", "STUDENT"]);

/** The security level a biometric decision is taken at (src/biometrics/security-level.ts; docs/face.md). */
export const SecurityLevelField = z
  .enum(SECURITY_LEVELS)
  .openapi({ description: "`high` (impostors accepted at most about 1 in 10,000 for faces) or `standard` (about 1 in 1,000); see docs/face.md" });

// ---------------------------------------------------------------------------------------------
// The loose scalar types clients of the original backend (Django REST framework) send, accepted as it
// accepted them (its BooleanField, IntegerField and FloatField coercions); anything else is a 400.

const TRUE_TEXT = new Set(["true", "t", "yes", "y", "on", "1"]);
const FALSE_TEXT = new Set(["false", "f", "no", "n", "off", "0"]);

/** A boolean, or `"true"`/`"false"`, `1`/`0`, `"1"`/`"0"`, `"yes"`/`"no"`, `"on"`/`"off"` (any case). */
export const LooseBoolean = z
  .preprocess((v) => {
    if (v === 1 || v === 0) return v === 1;
    if (typeof v !== "string") return v;
    const t = v.trim().toLowerCase();
    return TRUE_TEXT.has(t) ? true : FALSE_TEXT.has(t) ? false : v;
  }, z.boolean({ error: 'Expected a boolean (true/false; "true"/"false", 1/0 are accepted).' }))
  .openapi({ type: "boolean", description: 'A boolean; "true"/"false", 1/0, "1"/"0", "yes"/"no", "on"/"off" are accepted too' });

/** A whole number, or its decimal text (`"90"`, `" 90 "`, `"90.0"`, as Django REST framework reads them). */
export const looseInt = (schema: z.ZodNumber) =>
  z
    .preprocess((v) => (typeof v === "string" && /^\s*-?\d{1,15}(\.0*)?\s*$/.test(v) ? Number(v) : v), schema)
    .openapi({ type: "integer", description: "A whole number; its decimal text is accepted too" });

/** A number, or its text (`"0.93"`, `"1e-3"`). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export const looseNumber = (schema: z.ZodNumber) =>
  z
    .preprocess((v, ctx) => {
      if (v === null) {
        // Python's None, JavaScript's null: say to leave the field out (zod's "expected number, received null" did not).
        ctx.issues.push({ code: "custom", message: "Expected a number; leave the field out when there is none (null is not a number)", input: v });
        return z.NEVER;
      }
      if (typeof v !== "string") return v;
      // Decimal text only: Number() also reads "0x10", "0b11" and "0o7" (16, 3, 7; a probe).
      if (DECIMAL.test(v.trim())) return Number(v);
      // Text that is no number: say which forms are taken (zod's "expected number, received string" read as if text
      // were refused altogether, though "0.93" is taken; a probe).
      ctx.issues.push({ code: "custom", message: 'Expected a number, as a JSON number (0.93) or its text ("0.93"), with a decimal point', input: v });
      return z.NEVER;
    }, schema)
    .openapi({ type: "number", description: "A number; its text is accepted too" });

/**
 * What a client reports as its `ip_address`. The original stored it as text: clients send "unknown", a
 * hostname, an IP with a port, or several behind proxies. Kept as given (trimmed, at most 100 characters);
 * it is the client's own claim, never used for a decision.
 */
export const ReportedIpAddress = z
  .string()
  .trim()
  .max(100)
  .openapi({ description: "The address the client reports (an IP, usually; any short text is accepted and kept as given)", example: "192.0.2.10" });

/**
 * The query parameters of a GET endpoint. Hono hands a parameter given more than once to the schema as the array of its
 * values, which each field's own check then refused with a message that misled (`?exam_id=7&exam_id=7` was told
 * "Expected an exam id (an integer)"). The same value repeated (a client adding a parameter its URL already had) is
 * that value, as the partner API takes it; different values are refused, saying so (the service would otherwise pick one).
 */
export const queryParams = <T extends z.ZodRawShape>(shape: T) =>
  z.object(
    Object.fromEntries(Object.entries(shape).map(([name, schema]) => [name, singleValue(name, schema)])) as { [K in keyof T]: z.ZodPreprocess<T[K]> },
  );

const singleValue = <T extends z.core.SomeType>(name: string, schema: T) =>
  z.preprocess((value, ctx) => {
    if (!Array.isArray(value) || value.every((v) => v === value[0])) return Array.isArray(value) ? value[0] : value;
    ctx.issues.push({ code: "custom", input: value, message: `${name} was given more than once with different values; give it once.` });
    return z.NEVER;
  }, schema);
