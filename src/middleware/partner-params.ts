// Collects the partner API's parameters the way ProctorExam (Rails) accepts them: the query string,
// a JSON object body, or a form body (urlencoded or multipart), plus the path ids. The result is both
// what is signed and what the endpoint reads. A name given twice with different values is refused, so
// that the signed value and the used value can never differ.
import { createMiddleware } from "hono/factory";
import { readLimited, REQUEST_BROKEN_OFF } from "../lib/read-limited";
import { isWellFormed, NOT_WELL_FORMED } from "../lib/well-formed";
import { refusedContentCoding } from "./body";
import { PartnerError } from "../services/partner/errors";
import { jsonNumberTexts, type ParamValue, type Params } from "../services/partner/signature";
import type { PartnerEnv } from "./partner-env";

// The longest parameters (a session's individual_info, 20,000 characters; names and ids) at 9 bytes a character, as
// a form body writes a 3-byte UTF-8 character (CJK, the euro sign: %E6%BC%A2). The partner API counts characters in
// UTF-16 units (params.ts, as Rails does): an emoji is 2 units and 12 bytes in a form, 6 a unit; a JSON encoder that
// escapes all non-ASCII text writes 6 bytes a unit. (At 6 bytes a unit, a form body of 20,000 CJK characters was a 413.)
export const MAX_BODY_BYTES = 192 * 1024; // >= 9 * (20_000 + 1_000) + 4 KiB

function add(params: Params, name: string, value: ParamValue) {
  if (name === "") return;
  // SQLite reads text back cut at a NUL: refused rather than stored mangled.
  if (name.includes("\u0000") || (typeof value === "string" && value.includes("\u0000"))) {
    throw PartnerError.invalid(name.replaceAll("\u0000", "\\u0000"), value, "Must not contain the NUL character");
  }
  if (!isWellFormed(name) || (typeof value === "string" && !isWellFormed(value))) throw PartnerError.invalid(name, "(not text)", NOT_WELL_FORMED);
  if (Object.hasOwn(params, name)) {
    // The same value as text (`"exam_id": 74` in a JSON body and 74 in the path) is one value, kept as text (as a
    // query or path gives it); its signed text may be either (partner-auth tries the JSON text and JavaScript's).
    if (params[name] === value) return;
    if (sameText(params[name]!, value)) {
      if (typeof value === "string") params[name] = value;
      return;
    }
    throw new PartnerError(422, `Param given more than once with different values: '${name}'`);
  }
  params[name] = value;
}

/** A JSON number given again as the text of a query, form or path (or the reverse), with the same digits. */
const sameText = (a: ParamValue, b: ParamValue) =>
  (typeof a === "number" && typeof b === "string" && String(a) === b) || (typeof b === "number" && typeof a === "string" && String(b) === a);

async function readBody(req: Request): Promise<string> {
  const bytes = await readLimited(req.body, req.headers, MAX_BODY_BYTES, () => new PartnerError(413, "Request body too large"), "leave", () => new PartnerError(400, REQUEST_BROKEN_OFF));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new PartnerError(400, "The body is not valid UTF-8");
  }
}

export const partnerParams = createMiddleware<PartnerEnv>(async (c, next) => {
  const params: Params = Object.create(null);
  let numberTexts: Record<string, string> = {};
  for (const [name, value] of new URL(c.req.url).searchParams) add(params, name, value);

  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const hasBody = c.req.raw.body !== null && !["GET", "HEAD"].includes(c.req.method);
  const refusedCoding = hasBody ? refusedContentCoding(c.req.header("content-encoding")) : null;
  if (refusedCoding) throw new PartnerError(415, refusedCoding);
  if (hasBody) {
    if (/^application\/([\w.-]+\+)?json$/.test(type)) {
      const text = await readBody(c.req.raw);
      if (text.trim() !== "") {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new PartnerError(400, "The body is not valid JSON");
        }
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new PartnerError(400, "The body must be a JSON object");
        for (const [name, value] of Object.entries(body)) {
          if (value !== null && typeof value === "object") throw PartnerError.invalid(name, value, "Must be a single value, not an object or an array (a String; a number or a boolean where the parameter is one)");
          add(params, name, value as ParamValue);
        }
        numberTexts = jsonNumberTexts(text);
      }
    } else if (type === "application/x-www-form-urlencoded") {
      for (const [name, value] of new URLSearchParams(await readBody(c.req.raw))) add(params, name, value);
    } else if (type === "multipart/form-data") {
      const text = await readBody(c.req.raw);
      const form = await new Response(text, { headers: { "content-type": c.req.header("content-type")! } }).formData().catch(() => {
        throw new PartnerError(400, "The multipart body is malformed");
      });
      form.forEach((value, name) => {
        if (typeof value !== "string") throw PartnerError.invalid(name, "(file)", "Must be a String");
        add(params, name, value);
      });
    } else if (type !== "" || (await readBody(c.req.raw)) !== "") {
      throw new PartnerError(415, `Unsupported media type "${type || "none"}"`);
    }
  }
  for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) add(params, name, value);
  c.set("partnerParams", params);
  c.set("partnerNumberTexts", numberTexts);
  await next();
});
