// Turns zod's issues into the TRUSTID 400 body, naming every bad field at once: a field that is absent
// goes to `missing_required_fields`, any other problem to `bad_formatted_fields`, and each field's
// messages to `error_details`.
import type { z } from "zod";
import { AppError, type FieldErrors } from "./errors";

const valueAt = (data: unknown, path: PropertyKey[]): unknown => {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
};

export function validationError(error: z.ZodError, data: unknown): AppError {
  const missing = new Set<string>();
  const bad = new Set<string>();
  const details: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.map(String).join(".") || "non_field_errors";
    // Any complaint about a value that is not there at all means the field is missing.
    const absent = issue.path.length > 0 && valueAt(data, issue.path) === undefined;
    if (absent) missing.add(field);
    else bad.add(field);
    (details[field] ??= []).push(absent ? "This field is required." : issue.message);
  }
  return AppError.validation({ missing: [...missing], badFormatted: [...bad], details });
}

/** The hook every OpenAPI route uses: invalid input never reaches a handler. */
export const validationHook = (result: { success: boolean; error?: z.ZodError; data?: unknown }) => {
  if (!result.success && result.error) throw validationError(result.error, result.data);
};
