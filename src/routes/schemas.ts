// Schemas shared by route definitions: the TRUSTID envelopes and the documented error bodies. Request
// schemas are written for the API (not derived from tables); responses are built by explicit mappers.
import { SECURITY_LEVELS } from "../biometrics/security-level";
import { z } from "@hono/zod-openapi";

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
  .pipe(z.email("Enter a valid email address.").max(254))
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
