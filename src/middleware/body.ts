// Request-body gatekeeping, declared per route: the media types the route consumes (else 415), its
// size limit (else 413, checked on the bytes actually read, not only on Content-Length), and for JSON a
// parse that reports malformed bodies as the documented 400 `error_details.json`.
import { createMiddleware } from "hono/factory";
import { AppError } from "../lib/errors";
import { readLimited } from "../lib/read-limited";
import type { AppEnv } from "../types";

const mediaTypeOf = (c: { req: { header(name: string): string | undefined } }) =>
  (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

const tooLarge = (maxBytes: number) => new AppError(413, `Request body is larger than the ${maxBytes} bytes this endpoint accepts`);

/** For routes that consume `application/json`. */
export const jsonBody = (maxBytes: number) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const type = mediaTypeOf(c);
    if (!/^application\/([\w.-]+\+)?json$/.test(type)) {
      throw new AppError(415, `Unsupported media type "${type || "none"}"; this endpoint consumes application/json`);
    }
    const bytes = await readLimited(c.req.raw.body, c.req.raw.headers, maxBytes, () => tooLarge(maxBytes), "leave");
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
    const bytes = await readLimited(c.req.raw.body, c.req.raw.headers, maxBytes, () => tooLarge(maxBytes), "leave");
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(bytes.buffer);
    await next();
  });
