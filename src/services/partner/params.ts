// Reading the partner API's parameters (validated after the signature): they arrive as strings (query,
// form) or JSON scalars, and the rules are ProctorExam's ("Must be a String", "Must be one of: true,
// false, 1, 0.", "Must be a number."). A missing or empty required parameter is the documented 422.
import { PartnerError } from "./errors";
import type { Params } from "./signature";

const present = (p: Params, name: string) => p[name] !== undefined && p[name] !== null && p[name] !== "";

export function optString(p: Params, name: string, maxLength = 10_000): string | undefined {
  if (!present(p, name)) return p[name] === "" ? "" : undefined;
  const v = p[name];
  if (typeof v !== "string") throw PartnerError.invalid(name, v, "Must be a String");
  if (v.length > maxLength) throw PartnerError.invalid(name, v.slice(0, 40), `Must be at most ${maxLength} characters`);
  return v;
}

export function reqString(p: Params, name: string, maxLength?: number): string {
  const v = optString(p, name, maxLength)?.trim();
  if (!v) throw PartnerError.missing(name);
  return v;
}

/** A record's id: the text of a query or form, or a JSON number (ids are numbers in every v3 answer). */
export function reqId(p: Params, name: string): string {
  const v = p[name];
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) throw PartnerError.invalid(name, v, "Must be a String");
    return String(v);
  }
  return reqString(p, name);
}

export function optBool(p: Params, name: string): boolean | undefined {
  if (!present(p, name)) return undefined;
  const v = p[name];
  if (v === true || v === 1 || v === "true" || v === "1") return true;
  if (v === false || v === 0 || v === "false" || v === "0") return false;
  throw PartnerError.invalid(name, v, "Must be one of: true, false, 1, 0.");
}

/** What "Must be a number." accepts: a JSON number, or text of digits with an optional sign and fraction; finite either way. */
export const isNumber = (v: unknown) =>
  (typeof v === "number" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()))) && Number.isFinite(Number(v));

export function optNumber(p: Params, name: string): number | undefined {
  if (!present(p, name)) return undefined;
  const v = p[name];
  if (!isNumber(v)) throw PartnerError.invalid(name, v, "Must be a number.");
  return Number(v);
}

/** Epoch seconds (as ProctorExam takes times) to ms. */
export function optEpochSeconds(p: Params, name: string): number | undefined {
  const n = optNumber(p, name);
  if (n === undefined) return undefined;
  if (n < 0 || n > 253402300799) throw PartnerError.invalid(name, p[name], "Must be a time in EPOCH seconds.");
  return Math.round(n * 1000);
}

export function optPositiveInt(p: Params, name: string, max: number): number | undefined {
  const n = optNumber(p, name);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw PartnerError.invalid(name, p[name], Number.isFinite(max) ? `Must be a whole number from 1 to ${max}.` : "Must be a whole number of 1 or more.");
  }
  return n;
}

export function optEnum<T extends string>(p: Params, name: string, values: readonly T[]): T | undefined {
  const v = optString(p, name);
  if (v === undefined || v === "") return undefined;
  if (!(values as readonly string[]).includes(v)) throw PartnerError.invalid(name, v, `Must be one of: ${values.join(", ")}.`);
  return v as T;
}

export const MAX_PAGE_SIZE = 300;

/** `page` (from 1) and `limit` (default and maximum 300; larger values are capped, as ProctorExam does). */
export function pagination(p: Params): { page: number; limit: number } {
  const page = optPositiveInt(p, "page", 1_000_000) ?? 1;
  // Any whole number of 1 or more is capped, however large (a probe's 20-digit limit was a 422).
  const limit = Math.min(optPositiveInt(p, "limit", Number.POSITIVE_INFINITY) ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, limit };
}

/** A path id: anything that is not a positive integer finds nothing (404), like an unknown id. */
export function idOf(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const n = Number(text);
  return n > 0 ? n : null;
}
