// Non-image samples of /biometrics/register and /biometrics/verify (a Handwriting trajectory now): the form field
// carries base64 of the sample, or `src` a `data:<type>;base64,` URI. Never a URL to fetch.
import { AppError } from "../lib/errors";

/** Decodes base64 (standard or URL-safe) or a base64 data: URI of one of `mediaTypes` into bytes. */
export function sampleBytesFromField(field: string, value: string, opts: { maxBytes: number; mediaTypes: string[]; what: string }): Uint8Array {
  let b64 = value.trim();
  if (b64.startsWith("data:")) {
    const m = /^data:([\w.+-]+\/[\w.+-]+)(;[\w.+-]+=[\w.+-]+)*;base64,/i.exec(b64);
    if (!m || !opts.mediaTypes.includes(m[1]!.toLowerCase())) {
      throw AppError.badField(field, `Expected a base64 data: URI of type ${opts.mediaTypes.join(", ")} for the ${opts.what}.`);
    }
    b64 = b64.slice(m[0].length);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b64)) {
    throw AppError.badField(field, `URLs are not fetched; send the ${opts.what} itself as base64 or a data: URI.`);
  }
  b64 = b64.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (b64.length === 0) throw AppError.validation({ missing: [field], details: { [field]: ["This field may not be blank."] } });
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1) throw AppError.badField(field, `Not valid base64 (the ${opts.what} must be sent base64-encoded).`);
  if ((b64.length * 3) / 4 > opts.maxBytes) throw AppError.badField(field, `sample_too_large: the ${opts.what} is larger than ${opts.maxBytes} bytes.`);
  const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The same, as UTF-8 text (a 400 when it is not text). */
export function sampleTextFromField(field: string, value: string, opts: { maxBytes: number; mediaTypes: string[]; what: string }): string {
  const bytes = sampleBytesFromField(field, value, opts);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw AppError.badField(field, `The decoded ${opts.what} is not UTF-8 text.`);
  }
}
