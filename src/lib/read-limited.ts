// Reads a body (a request's or an outside service's answer) into memory up to a byte limit, counting the
// bytes actually read: a Content-Length can be absent (chunked) or wrong, and one over-large body must not
// take the isolate's memory. Over the limit the stream is cancelled and `tooLarge` is thrown.

/** The body's bytes, or `tooLarge()` thrown once more than `maxBytes` have been declared or read. */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const ch of chunks) {
    out.set(ch, offset);
    offset += ch.byteLength;
  }
  return out;
}
