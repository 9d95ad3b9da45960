// Request-body gatekeeping, declared per route: the media types the route consumes (else 415), its
// size limit (else 413, checked on the bytes actually read, not only on Content-Length), and for JSON a
// parse that reports malformed bodies as the documented 400 `error_details.json`.
import { createMiddleware } from "hono/factory";
import { AppError } from "../lib/errors";
import { readLimited, REQUEST_BROKEN_OFF } from "../lib/read-limited";
import { isWellFormed, NOT_WELL_FORMED } from "../lib/well-formed";
import type { AppEnv } from "../types";

const mediaTypeOf = (c: { req: { header(name: string): string | undefined } }) =>
  (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

/**
 * Why a request body's Content-Encoding is refused, or null when it is uncompressed: a compressed body is a 415
 * naming the coding (RFC 9110 15.5.16) on both APIs; before, a gzipped JSON body read as "not valid UTF-8", and a
 * mislabelled plain one was taken.
 */
export function refusedContentCoding(header: string | undefined): string | null {
  const coding = (header ?? "").trim().toLowerCase();
  return coding !== "" && coding !== "identity" ? `Content-Encoding "${coding}" is not accepted; send the request body uncompressed` : null;
}

function refuseContentCoding(c: { req: { header(name: string): string | undefined } }) {
  const refused = refusedContentCoding(c.req.header("content-encoding"));
  if (refused) throw new AppError(415, refused);
}

const tooLarge = (maxBytes: number) => new AppError(413, `Request body is larger than the ${maxBytes} bytes this endpoint accepts`);
const brokenOff = () => new AppError(400, REQUEST_BROKEN_OFF);

/**
 * The body limit of a JSON endpoint whose text fields may hold up to `characters` characters in all, counted as zod
 * counts them (code points): every one may arrive as escapes (Python's json.dumps writes all non-ASCII text so),
 * 6 bytes for `\uXXXX` and 12 for a character outside the BMP (an emoji: a surrogate pair, two escapes, one
 * character), plus 4 KiB for the rest of the body. So a documented character limit can be reached in Greek, Chinese
 * or emoji whatever the client's JSON encoder does.
 */
export const textBodyLimit = (characters: number) => 12 * characters + 4 * 1024;

/** The dotted path of the first string (or key) in `value` holding an unpaired surrogate, else undefined. */
function unpairedSurrogateAt(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return isWellFormed(value) ? undefined : path;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!isWellFormed(key)) return at;
    const found = unpairedSurrogateAt(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** For routes that consume `application/json`. */
export const jsonBody = (maxBytes: number) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const type = mediaTypeOf(c);
    if (!/^application\/([\w.-]+\+)?json$/.test(type)) {
      throw new AppError(415, `Unsupported media type "${type || "none"}"; this endpoint consumes application/json`);
    }
    refuseContentCoding(c);
    const bytes = await readLimited(c.req.raw.body, c.req.raw.headers, maxBytes, () => tooLarge(maxBytes), "leave", brokenOff);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw AppError.malformedJson("The body is not valid UTF-8.");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw AppError.malformedJson(`JSON parse error - ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw AppError.malformedJson("Expected a JSON object.");
    }
    // Half of a surrogate pair escaped alone ("\ud800", lib/well-formed.ts) is refused naming the field rather than
    // stored altered. Only an escape can make one (the body is valid UTF-8), hence the quick look for one first.
    if (/\\u[dD][89a-fA-F]/.test(text)) {
      const field = unpairedSurrogateAt(parsed, "");
      if (field !== undefined) throw AppError.badField(field || "json", NOT_WELL_FORMED);
    }
    // Hand the already-read text to Hono's body cache so the validator reads it from there.
    // (Hono stores promises there at run time; its type says otherwise.)
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  });

/** For routes that consume multipart/form-data or application/x-www-form-urlencoded. */
export const formBody = (maxBytes: number) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const type = mediaTypeOf(c);
    if (type !== "multipart/form-data" && type !== "application/x-www-form-urlencoded") {
      throw new AppError(
        415,
        `Unsupported media type "${type || "none"}"; this endpoint consumes multipart/form-data or application/x-www-form-urlencoded`,
      );
    }
    refuseContentCoding(c);
    const bytes = await readLimited(c.req.raw.body, c.req.raw.headers, maxBytes, () => tooLarge(maxBytes), "leave", brokenOff);
    // Parsed here, under a Content-Type that keeps only the boundary: the runtime's parser refused parameters it
    // does not know (`; charset=UTF-8`, as Apache HttpClient and Spring send) and a framing error reached the client
    // as a bare 415 or as "Malformed JSON". Hono's form validator reads the parsed form from this cache.
    const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(c.req.header("content-type") ?? "");
    if (type === "multipart/form-data" && !boundary) throw malformedForm("the multipart/form-data Content-Type has no boundary parameter");
    const canonical = type === "multipart/form-data" ? `multipart/form-data; boundary=${boundary![1] ?? boundary![2]}` : type;
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": canonical } }).formData();
    } catch (e) {
      throw malformedForm(`it could not be read as ${type} (${e instanceof Error ? e.message : String(e)})`);
    }
    if (c.req.header("content-type") !== canonical) {
      // The route's own media-type gate (@hono/zod-openapi) reads the header too, and takes only a boundary.
      const headers = new Headers(c.req.raw.headers);
      headers.set("content-type", canonical);
      c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers, body: bytes });
    }
    const cache = c.req.bodyCache as Record<string, unknown>;
    cache.arrayBuffer = Promise.resolve(bytes.buffer);
    cache.formData = Promise.resolve(await filePartsAsText(form));
    await next();
  });

/**
 * A browser's FormData carries a recording or picture as a Blob (a file part); the spec's fields are base64 text.
 * A file part becomes the base64 of its bytes, or its text when that already is base64 or a data: URI, so both
 * ways of sending a sample work (before, a file part was refused as "expected string, received File").
 */
async function filePartsAsText(form: FormData): Promise<FormData> {
  const entries: [string, string | File][] = [];
  form.forEach((value, key) => entries.push([key, value]));
  if (entries.every(([, v]) => typeof v === "string")) return form;
  const out = new FormData();
  for (const [key, value] of entries) {
    if (typeof value === "string") {
      out.append(key, value);
      continue;
    }
    const bytes = new Uint8Array(await value.arrayBuffer());
    const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
    out.append(key, isBase64Text(text) ? text : base64Of(bytes));
  }
  return out;
}

function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const malformedForm = (why: string) => AppError.validation({ details: { form: [`The request body is not a valid form: ${why}.`] } }, "Malformed form body");

/**
 * Whether an uploaded file's text is already base64 (or a data: URI of it). A search for any other character, not a
 * pattern over the whole text: `^\s*(data:...)?[...\s]*$` let leading white space be shared between its two parts in
 * every way, and 100,000 spaces and a "!" took 12 s (an audit, 2026-12-07).
 */
function isBase64Text(text: string): boolean {
  const body = text.replace(/^\s*data:[^,]*,/, "");
  return text.trim() !== "" && !/[^A-Za-z0-9+/=_\-\s]/.test(body);
}
