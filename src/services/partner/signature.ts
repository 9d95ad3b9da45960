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

/** The signed string; `written` gives the text of JSON numbers as the client wrote them (jsonNumberTexts). */
export function stringToSign(params: Params, written: Record<string, string> = {}): string {
  return Object.keys(params)
    .filter((name) => name !== "signature")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${name}=${written[name] ?? paramText(params[name]!)}`)
    .join("?");
}

/**
 * The text of each top-level number of a flat JSON object as written (`60.0`, `6e1`, `12345678901234567890`):
 * JSON.parse keeps only the value, whose JavaScript text (`60`, `60`, `12345678901234567000`) is not what a
 * Python or Ruby client signed. `text` has already parsed as JSON; anything unexpected ends the scan (nested
 * values are refused anyway). A name given twice counts as its last value, as in JSON.parse.
 */
export function jsonNumberTexts(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const STRING = /"(?:[^"\\]|\\.)*"/y;
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const LITERAL = /true|false|null/y;
  const SPACE = /[ \t\n\r]*/y;
  let i = 0;
  const at = (re: RegExp) => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i = re.lastIndex;
    return m?.[0];
  };
  at(SPACE);
  if (text[i++] !== "{") return out;
  for (;;) {
    at(SPACE);
    const key = at(STRING);
    if (key === undefined) return out;
    const name = JSON.parse(key) as string;
    at(SPACE);
    if (text[i++] !== ":") return out;
    at(SPACE);
    const number = at(NUMBER);
    if (number !== undefined) out[name] = number;
    else if (at(STRING) !== undefined || at(LITERAL) !== undefined) delete out[name];
    else return out;
    at(SPACE);
    if (text[i++] !== ",") return out;
  }
}

export const signParams = (secret: string, params: Params) => hmacSha256Hex(secret, stringToSign(params));
