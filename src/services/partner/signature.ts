// The ProctorExam v3 request signature: hex HMAC-SHA256, keyed with the caller's secret key, of every
// parameter except `signature` itself (path ids included) written `name=value`, sorted by name and
// joined with a literal `?`. Values are written as sent, not URL-encoded (query and form values are
// compared after decoding). docs/partner-api.md has a worked example that test/node checks.
import { hmacSha256Hex } from "./crypto";

/** A parameter as it arrived: strings from query/form, JSON scalars from a JSON body. */
export type ParamValue = string | number | boolean | null;
export type Params = Record<string, ParamValue>;

/** How a value is written into the signed string (as Ruby's `to_s` writes it: null is empty). */
export const paramText = (v: ParamValue): string => (v === null ? "" : String(v));

export function stringToSign(params: Params): string {
  return Object.keys(params)
    .filter((name) => name !== "signature")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${name}=${paramText(params[name]!)}`)
    .join("?");
}

export const signParams = (secret: string, params: Params) => hmacSha256Hex(secret, stringToSign(params));
