// Turns zod's issues into the TRUSTID 400 body, naming every bad field at once: a field that is absent
// goes to `missing_required_fields`, any other problem to `bad_formatted_fields`, and each field's
// messages to `error_details`.
import type { z } from "zod";
import { AppError, type FieldErrors } from "./errors";

/** The value at `path` in the request data; NOT_IN_DATA when the path runs through something that is not an object
 * (an issue about a value a schema made from the input, such as a process name read out of a list's text). */
const NOT_IN_DATA = Symbol("not in the data");
const valueAt = (data: unknown, path: PropertyKey[]): unknown => {
  let v: unknown = data;
  for (const key of path) {
    if (v === undefined) return undefined;
    if (v === null || typeof v !== "object") return NOT_IN_DATA;
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
    // So is a refinement's that says so (`params: { missing: true }`: a sample sent blank, form clients send every field).
    const absent = (issue.path.length > 0 && valueAt(data, issue.path) === undefined) || (issue.code === "custom" && issue.params?.missing === true);
    if (absent) missing.add(field);
    else bad.add(field);
    // One value can fail several checks that share one message (a custom `error` covers them all): say it once. A
    // refinement's own message says what to send instead (a sample in one of two fields), so it is kept.
    const message = absent && issue.code !== "custom" ? "This field is required." : issue.message;
    const messages = (details[field] ??= []);
    if (!messages.includes(message)) messages.push(message);
  }
  return AppError.validation({ missing: [...missing], badFormatted: [...bad], details });
}

/**
 * The field path of the first string (value or key) holding a NUL character, or null. SQLite reads text
 * back cut at a NUL and its string functions stop there, so such input would be stored mangled: it is
 * refused instead. Walked without recursion (a body may nest deeply).
 */
export function nulCharacterAt(data: unknown): string | null {
  const pending: [unknown, string][] = [[data, ""]];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === "string") {
      if (value.includes("\u0000")) return path || "non_field_errors";
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key.includes("\u0000")) return path || "non_field_errors";
        pending.push([child, path ? `${path}.${key}` : key]);
      }
    }
  }
  return null;
}

/** The hook every OpenAPI route uses: invalid input never reaches a handler. */
export const validationHook = (result: { success: boolean; error?: z.ZodError; data?: unknown }) => {
  if (!result.success && result.error) throw validationError(result.error, result.data);
  const nulAt = result.success ? nulCharacterAt(result.data) : null;
  if (nulAt !== null) throw AppError.badField(nulAt, "Must not contain the NUL character (\\u0000).");
};
