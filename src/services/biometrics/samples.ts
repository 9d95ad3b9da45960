// Non-image samples of /biometrics/register and /biometrics/verify (a Handwriting trajectory now): the form field
// carries base64 of the sample, or `src` a `data:<type>;base64,` URI. Never a URL to fetch.
import { AppError } from "../../lib/errors";

/**
 * Decodes base64 (standard or URL-safe) or a base64 data: URI into bytes. The URI's media type must be one of
 * `mediaTypes`, or of a family in `mediaFamilies` (e.g. "audio/": the decoder tells the format from the bytes). Its
 * parameters are read as browsers write them: `audio/ogg; codecs=opus`, `codecs="opus"`, and
 * `video/webm;codecs=vp8,opus` (a comma inside, as FileReader.readAsDataURL writes a MediaRecorder blob's type).
 */
export function sampleBytesFromField(
  field: string,
  value: string,
  opts: { maxBytes: number; mediaTypes: string[]; mediaFamilies?: string[]; what: string },
): Uint8Array {
  let b64 = value.trim();
  if (/^data:/i.test(b64)) {
    const m = /^data:([^]{0,300}?);base64,/i.exec(b64);
    const type = (m?.[1] ?? "").split(";")[0]!.trim().toLowerCase();
    const known = opts.mediaTypes.includes(type) || (opts.mediaFamilies ?? []).some((f) => type.startsWith(f) && /^[\w.+-]+\/[\w.+-]+$/.test(type));
    if (!m || !known) {
      const families = (opts.mediaFamilies ?? []).map((f) => `${f}*`);
      throw AppError.badField(field, `Expected a base64 data: URI of type ${[...families, ...opts.mediaTypes].join(", ")} for the ${opts.what}.`);
    }
    b64 = b64.slice(m[0].length);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b64)) {
    throw AppError.badField(field, `URLs are not fetched; send the ${opts.what} itself as base64 or a data: URI.`);
  }
  b64 = standardBase64(b64);
  if (b64.length === 0) throw AppError.validation({ missing: [field], details: { [field]: ["This field may not be blank."] } });
  const data = unpaddedBase64(b64);
  if (data === null) throw AppError.badField(field, `Not valid base64 (the ${opts.what} must be sent base64-encoded).`);
  if (decodedLength(data) > opts.maxBytes) throw AppError.badField(field, `sample_too_large: the ${opts.what} is larger than ${opts.maxBytes} bytes.`);
  return base64Bytes(data);
}

/**
 * Base64 as sent, made standard: white space dropped and URL-safe characters mapped back, except that spaces in a text
 * holding no '+' are taken as '+' signs: an application/x-www-form-urlencoded body whose client did not escape them
 * (a '+' there decodes to a space). Dropped, they shifted every later byte: a probe's clip was judged "too little
 * speech" instead of decoding.
 */
export function standardBase64(b64: string): string {
  // Most clients send standard base64 as is: nothing to change.
  if (!/[\s_-]/.test(b64)) return b64;
  const unescapedPlus = b64.includes(" ") && !b64.includes("+");
  // One pass over the character codes: four chained global replaces took 6-12 s on 22 MiB of '-', '_' or spaces (an
  // audit, 2026-12-07). A character outside ASCII becomes '!', which unpaddedBase64 refuses as any non-base64 one.
  const out = new Uint8Array(b64.length);
  let n = 0;
  for (let i = 0; i < b64.length; i++) {
    const c = b64.charCodeAt(i);
    if (c === 32 /* space */) {
      if (unescapedPlus) out[n++] = 43 /* + */;
    } else if ((c >= 9 && c <= 13) || (c > 127 && isUnicodeSpace(c))) {
      // white space, as \s matches it
    } else out[n++] = c === 45 /* - */ ? 43 : c === 95 /* _ */ ? 47 /* / */ : c > 127 ? 33 /* ! (never base64: refused) */ : c;
  }
  return new TextDecoder().decode(out.subarray(0, n));
}

/** The white space beyond ASCII that \s matches. */
const isUnicodeSpace = (c: number) =>
  c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

/**
 * Standard base64 without its padding, or null when it is not base64. The padding is dropped and put back
 * by base64Bytes: padding of the wrong length ("AAAAA=") made atob throw, which was a 500.
 */
export function unpaddedBase64(b64: string): string | null {
  const data = b64.replace(/={1,2}$/, "");
  return data.length > 0 && !/[^A-Za-z0-9+/]/.test(data) && data.length % 4 !== 1 ? data : null;
}

/** How many bytes unpadded base64 holds: 3 for every 4 characters, 1 or 2 for a trailing 2 or 3. */
export const decodedLength = (data: string) => Math.floor((data.length * 3) / 4);

/** The bytes of unpadded standard base64 (as unpaddedBase64 returns it). */
export function base64Bytes(data: string): Uint8Array {
  const bin = atob(data.padEnd(Math.ceil(data.length / 4) * 4, "="));
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
