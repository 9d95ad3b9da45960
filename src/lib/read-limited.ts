// Reads a body (a request's or an outside service's answer) into memory up to a byte limit, counting the
// bytes actually read: a Content-Length can be absent (chunked) or wrong, and one over-large body must not
// take the isolate's memory. Over the limit the stream is cancelled and `tooLarge` is thrown.

/**
 * The body's bytes, or `tooLarge()` thrown once more than `maxBytes` have been declared or read. An outside
 * service's answer (`rest: "cancel"`) is then cancelled; a request's body is left as it is (`rest: "leave"`) for
 * drainUnreadBody to read to its end after the answer is made. A stream that breaks off (the client or the service
 * went away mid-body) throws `brokenOff()` when given, else the stream's own error.
 */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  maxBytes: number,
  tooLarge: () => Error,
  rest: "cancel" | "leave" = "cancel",
  brokenOff?: () => Error,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    if (rest === "cancel") await body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      throw brokenOff ? brokenOff() : e;
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      if (rest === "cancel") await reader.cancel().catch(() => {});
      else reader.releaseLock();
      throw tooLarge();
    }
    chunks.push(value);
  }
  // Fewer bytes than declared: the body ended early (a cut the runtime reported as its end; a probe's cut form body
  // was taken whole, and a process list lost its last names).
  if (brokenOff && Number.isFinite(declared) && size < declared) throw brokenOff();
  const out = new Uint8Array(size);
  let offset = 0;
  for (const ch of chunks) {
    out.set(ch, offset);
    offset += ch.byteLength;
  }
  return out;
}

/**
 * A request body that stopped arriving before its end: the client lost its connection (a desktop app whose network
 * dropped mid-upload). A 400 nobody reads, not an unexpected error logged with its stack as a 500 (a probe); nothing
 * of the request was used.
 */
export const REQUEST_BROKEN_OFF = "The request body broke off before its end (the connection was lost); send the request again";

/** Request bodies are drained up to this much; beyond it (Cloudflare's own limit on most plans) they are cancelled. */
export const MAX_DRAINED_BYTES = 100 * 1024 * 1024;

/**
 * Reads what is left of a request's body after its answer was made without it (a 413, 401, 415 or 429 given
 * before or while reading). Answering a request whose body is still arriving broke `wrangler dev`'s proxy (the
 * local service): the answer became a plain-text 503 "worker restarted mid-request", or the next request on the
 * same connection hung. Reading to the end costs only the bytes the client sends anyway.
 */
export async function drainUnreadBody(request: Request): Promise<void> {
  const body = request.body;
  if (!body || body.locked) return;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = body.getReader();
  } catch {
    return;
  }
  try {
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > MAX_DRAINED_BYTES) {
        await reader.cancel().catch(() => {});
        return;
      }
    }
  } catch {
    // The client went away or the stream was already cancelled: nothing left to read.
  }
}
