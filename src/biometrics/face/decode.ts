// Image decoding: sniff the format from the bytes (never trust a declared type), refuse pictures whose
// header claims more pixels than an isolate can hold, then decode: JPEG and PNG with the injected WASM
// codecs, or above 8 MP at reduced scale with our own decoders; WebP with libwebp's scaled decoding.
import { type RgbImage, rgbFromRgba } from "./image";
import { checkJpegComplete } from "./jpeg/complete";
import { decodeJpegScaled, JpegError, scaleFor } from "./jpeg/decode";
import { decodePngScaled, PngError } from "./png-stream";
import { FACE_POLICY } from "./policy";
import { WebpError } from "./webp/scaled";
import { ascii, headerSize, type ImageFormat, MAX_PIXELS, otherImageFormat, pngInflatedBytes, sniffFormat, unsupportedJpegKind, webpFrameSize } from "./header";

export { headerSize, type ImageFormat, MAX_PIXELS, sniffFormat };

/** The WASM codecs, injected because their WASM is loaded per platform. */
export type Decoders = {
  /** The @jsquash codecs, returning RGBA. */
  jpeg: (buf: ArrayBuffer) => Promise<{ width: number; height: number; data: ArrayLike<number> }>;
  png: (buf: ArrayBuffer) => Promise<{ width: number; height: number; data: ArrayLike<number> }>;
  /** A WebP decoded straight to width x height RGB by libwebp (webp/scaled.ts). */
  webp: (webp: Uint8Array, width: number, height: number) => Promise<RgbImage>;
};

// JPEG above 8 MP: decoded at 1/2, 1/4 or 1/8 scale in the DCT domain (jpeg/decode.ts), which needs a few
// MB whatever the size. Phones take 12-50 MP pictures; "50 MP" sensors give 8160x6120 or 8192x6144
// (50.3 MP), hence the margin.
export const MAX_JPEG_PIXELS = 52_000_000;
// PNG above 8 MP: inflated and unfiltered row by row and box-downscaled on the fly (png-stream.ts): two rows
// and the small output are held, beside the upload itself. The limit bounds the time (about 1 s of CPU at
// 24 MP); "24 MP" cameras give 5712x4284 (24.5 MP), hence 25 MP.
export const MAX_PNG_PIXELS = 25_000_000;
// WebP, whatever its size: decoded by libwebp straight to the reduced size (webp/scaled.ts). Lossy, it holds
// the upload, a few macroblock rows and the small output (a whole decode of 24 MP took about 190 MB); 25 MP,
// as for PNG, bounds the time. Lossless WebP (VP8L) stays at 8 MP: libwebp keeps the whole picture at 4 bytes
// a pixel even when scaling (its back-references reach anywhere above), 32 MB at 8 MP, 96 MB at 24 MP.
export const MAX_WEBP_PIXELS = 25_000_000;
// A PNG's decoding time follows the bytes its rows inflate to, not its pixels: a 25 MP 16-bit RGBA picture (8 bytes a
// pixel, 200 MB; a 194 KB file of zero rows) took 2.8 s of CPU where 25 MP of 8-bit RGB takes about 1 s. So the
// inflated rows are limited too, to what 25 MP of 8-bit RGB inflates to (16-bit or alpha pictures: fewer pixels).
export const MAX_PNG_INFLATED_BYTES = 76_000_000;
const LIMITS: Record<ImageFormat, number> = { jpeg: MAX_JPEG_PIXELS, png: MAX_PNG_PIXELS, webp: MAX_WEBP_PIXELS };

/** The decoded picture, upright, and the size of the full-resolution original it stands for. */
export type DecodedImage = {
  image: RgbImage;
  /** Original pixels per decoded pixel along each side: 1, or more for a picture decoded at reduced scale. */
  reduction: number;
  /** The upright original's size in pixels. */
  width: number;
  height: number;
};

export class ImageDecodeError extends Error {
  constructor(readonly code: "undecodable" | "image_too_large", message: string) {
    super(message);
  }
}

export async function decodeImage(bytes: Uint8Array, decoders: Decoders, minSide = FACE_POLICY.workingMaxSide): Promise<DecodedImage> {
  const format = sniffFormat(bytes);
  if (!format) {
    const other = otherImageFormat(bytes);
    throw new ImageDecodeError(
      "undecodable",
      other
        ? `The image is in ${other} format; send a JPEG, PNG or WebP picture (a phone's camera can save JPEG, e.g. the iPhone's "Most Compatible" format)`
        : "The image is not a JPEG, PNG or WebP file",
    );
  }
  const size = headerSize(bytes, format);
  if (!size || size.width < 1 || size.height < 1) throw new ImageDecodeError("undecodable", `The ${format.toUpperCase()} header is damaged`);
  const pixels = size.width * size.height;
  const webpChunk = format === "webp" ? webpImageChunk(bytes) : null;
  const lossless = webpChunk?.lossless ?? false;
  const limit = lossless ? MAX_PIXELS : LIMITS[format];
  if (pixels > limit) {
    const kind = lossless ? "lossless WebP" : format.toUpperCase();
    throw new ImageDecodeError("image_too_large", `The image has ${size.width}x${size.height} pixels; at most ${limit / 1e6} megapixels are accepted for ${kind}`);
  }
  const inflated = format === "png" ? pngInflatedBytes(bytes) : null;
  if (inflated !== null && inflated > MAX_PNG_INFLATED_BYTES) {
    throw new ImageDecodeError(
      "image_too_large",
      `The PNG's rows inflate to ${Math.round(inflated / 1e6)} MB; at most ${MAX_PNG_INFLATED_BYTES / 1e6} MB are accepted (25 megapixels of 8-bit RGB; 16-bit or alpha channels count more)`,
    );
  }
  if (format === "jpeg") {
    try {
      checkJpegComplete(bytes);
    } catch (e) {
      if (e instanceof JpegError) throw new ImageDecodeError("undecodable", `The JPEG data could not be decoded (${e.message})`);
      throw e;
    }
  }
  let rgb: RgbImage;
  let reduction = 1;
  if (format === "jpeg" && pixels > MAX_PIXELS) {
    reduction = scaleFor(size.width, size.height, minSide);
    try {
      rgb = decodeJpegScaled(bytes, reduction, MAX_JPEG_PIXELS);
    } catch (e) {
      if (e instanceof JpegError) throw new ImageDecodeError("undecodable", `The JPEG data could not be decoded (${e.message})`);
      throw e;
    }
  } else if (format === "png" && pixels > MAX_PIXELS) {
    // The largest whole reduction that keeps the longer side at least minSide.
    reduction = Math.max(1, Math.floor(Math.max(size.width, size.height) / minSide));
    try {
      rgb = await decodePngScaled(bytes, reduction, MAX_PNG_PIXELS);
    } catch (e) {
      if (e instanceof PngError) throw new ImageDecodeError("undecodable", `The PNG data could not be decoded (${e.message})`);
      throw e;
    }
  } else if (format === "webp") {
    // Every WebP, small ones too (the rescaler costs less CPU than the whole decode it saves, BENCHMARKS.md):
    // as for large PNGs, the largest whole reduction that keeps the longer side at least minSide. libwebp's
    // rescaler maps the picture onto the rounded size (the scale is d to within half an output pixel).
    reduction = Math.max(1, Math.floor(Math.max(size.width, size.height) / minSide));
    const width = Math.max(1, Math.round(size.width / reduction));
    const height = Math.max(1, Math.round(size.height / reduction));
    // The image chunk alone (libwebp takes a bare VP8 chunk): an alpha plane (ALPH) would be decoded whole,
    // 1-2 bytes a pixel, though the pipeline drops alpha, as the whole decode does. Alone, libwebp no longer
    // checks it against the VP8X canvas (the size the limit was checked on), so that is done here.
    if (!webpChunk) {
      const animated = bytes.length >= 16 && /ANIM|ANMF/.test(ascii(bytes, 12, Math.min(bytes.length - 12, 4096)));
      throw new ImageDecodeError("undecodable", animated ? "Animated WebP is not accepted; send one still picture" : "The WebP file has no image data");
    }
    const frame = webpFrameSize(bytes, webpChunk.at);
    if (frame?.width !== size.width || frame.height !== size.height) throw new ImageDecodeError("undecodable", "The WebP image does not match its canvas size");
    try {
      rgb = await decoders.webp(bytes.subarray(webpChunk.at, webpChunk.end), width, height);
    } catch (e) {
      if (e instanceof WebpError) throw new ImageDecodeError("undecodable", `The WebP data could not be decoded (${e.message})`);
      throw e;
    }
  } else {
    let decoded;
    try {
      const copy = bytes.slice().buffer; // the codecs take an ArrayBuffer of exactly the file
      decoded = await decoders[format](copy);
    } catch {
      const kind = format === "jpeg" ? unsupportedJpegKind(bytes) : null;
      if (kind) throw new ImageDecodeError("undecodable", `The JPEG is ${kind}, which is not read here; send a baseline or progressive 8-bit colour JPEG, a PNG or a WebP`);
      throw new ImageDecodeError("undecodable", `The ${format.toUpperCase()} data could not be decoded`);
    }
    if (!decoded || decoded.width < 1 || decoded.height < 1) throw new ImageDecodeError("undecodable", `The ${format.toUpperCase()} data could not be decoded`);
    rgb = rgbFromRgba(decoded.width, decoded.height, decoded.data);
  }
  // Phones store portrait photos sideways with an EXIF orientation; browsers and OpenCV honour it, so must we.
  const o = format === "jpeg" ? exifOrientation(bytes) : 1;
  const image = orient({ width: rgb.width, height: rgb.height, data: rgb.data }, o);
  const swap = o >= 5;
  return { image, reduction, width: swap ? size.height : size.width, height: swap ? size.width : size.height };
}

/** A WebP's first image chunk (VP8 or VP8L, past VP8X, ALPH and metadata chunks): where it is, and which. */
export function webpImageChunk(b: Uint8Array): { at: number; end: number; lossless: boolean } | null {
  for (let i = 12; i + 8 <= b.length; ) {
    const tag = ascii(b, i, 4);
    const size = b[i + 4]! + (b[i + 5]! << 8) + (b[i + 6]! << 16) + b[i + 7]! * 2 ** 24;
    if (tag === "VP8 " || tag === "VP8L") return { at: i, end: Math.min(b.length, i + 8 + size), lossless: tag === "VP8L" };
    i += 8 + size + (size & 1); // chunks are padded to an even size
  }
  return null;
}

/** The EXIF orientation (1-8) of a JPEG, 1 when absent or unreadable. */
export function exifOrientation(b: Uint8Array): number {
  let i = 2;
  while (i + 4 < b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (marker === 0xda) break; // start of scan: no more metadata
    if (marker === 0xe1 && ascii(b, i + 4, 4) === "Exif") {
      const t = i + 10; // TIFF header
      const le = b[t] === 0x49;
      const u16 = (k: number) => (le ? b[k]! | (b[k + 1]! << 8) : (b[k]! << 8) | b[k + 1]!);
      const u32 = (k: number) => (le ? u16(k) + u16(k + 2) * 65536 : u16(k) * 65536 + u16(k + 2));
      const ifd = t + u32(t + 4);
      const count = ifd + 2 <= b.length ? u16(ifd) : 0;
      for (let k = 0; k < count; k++) {
        const e = ifd + 2 + k * 12;
        if (e + 10 > b.length) break;
        if (u16(e) === 0x0112) {
          const o = u16(e + 8);
          return o >= 1 && o <= 8 ? o : 1;
        }
      }
      return 1;
    }
    i += 2 + len;
  }
  return 1;
}

/** Applies an EXIF orientation so that the picture stands upright. */
export function orient(img: RgbImage, o: number): RgbImage {
  if (o === 1) return img;
  const { width: w, height: h, data } = img;
  const swap = o >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // (sx, sy): where output pixel (x, y) comes from in the stored picture.
      let sx: number, sy: number;
      switch (o) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        default: sx = w - 1 - y; sy = x; break; // 8
      }
      const s = (sy * w + sx) * 3;
      const d = (y * W + x) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { width: W, height: H, data: out };
}
