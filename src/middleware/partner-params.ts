// Collects the partner API's parameters the way ProctorExam (Rails) accepts them: the query string,
// a JSON object body, or a form body (urlencoded or multipart), plus the path ids. The result is both
// what is signed and what the endpoint reads. A name given twice with different values is refused, so
// that the signed value and the used value can never differ.
import { createMiddleware } from "hono/factory";
import { readLimited } from "../lib/read-limited";
import { isWellFormed, NOT_WELL_FORMED } from "../lib/well-formed";
import { refusedContentCoding } from "./body";
import { PartnerError } from "../services/partner/errors";
import { jsonNumberTexts, type ParamValue, type Params } from "../services/partner/signature";
import type { PartnerEnv } from "./partner-env";

// The longest parameters (a session's individual_info, 20,000 characters; names and ids) at 6 bytes a character, as
// a JSON encoder that escapes all non-ASCII text writes them. The partner API counts characters in UTF-16 units
// (params.ts, as Rails does), so an emoji's two escapes count two characters: 6 bytes each suffice here.
export const MAX_BODY_BYTES = 6 * (20_000 + 1_000) + 4 * 1024;

function add(params: Params, name: string, value: ParamValue) {
  if (name === "") return;
  // SQLite reads text back cut at a NUL: refused rather than stored mangled.
  if (name.includes("\u0000") || (typeof value === "string" && value.includes("\u0000"))) {
    throw PartnerError.invalid(name.replaceAll("\u0000", "\\u0000"), value, "Must not contain the NUL character");
  }
  if (!isWellFormed(name) || (typeof value === "string" && !isWellFormed(value))) throw PartnerError.invalid(name, "(not text)", NOT_WELL_FORMED);
  if (Object.hasOwn(params, name) && params[name] !== value) {
    throw new PartnerError(422, `Param given more than once with different values: '${name}'`);
  }
  params[name] = value;
}

async function readBody(req: Request): Promise<string> {
  const bytes = await readLimited(req.body, req.headers, MAX_BODY_BYTES, () => new PartnerError(413, "Request body too large"), "leave");
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
          if (value !== null && typeof value === "object") throw PartnerError.invalid(name, value, "Must be a String, a number or a boolean");
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
