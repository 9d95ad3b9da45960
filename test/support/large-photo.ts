// Phone-sized test pictures made from a shared photo: upscaled (or placed on a wide canvas), with a little
// noise so that the JPEG carries texture like a real photo, encoded by mozjpeg (baseline or progressive),
// optionally stored sideways with an EXIF orientation, or by libwebp. Used by test/node/face-large-*.test.ts,
// bench/face-large-photos.ts and test/inference-setup.ts; nothing is written into the repository.
import { readFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import jpeg from "jpeg-js";
import { ImageDecodeError, orient } from "../../src/biometrics/face/decode";
import { type RgbImage, resize } from "../../src/biometrics/face/image";

const require = createRequire(import.meta.url);
const jsquashDir = dirname(require.resolve("@jsquash/jpeg/package.json"));

// The codecs take and return ImageData, which Node lacks.
(globalThis as { ImageData?: unknown }).ImageData ??= class ImageData {
  constructor(
    public data: Uint8ClampedArray,
    public width: number,
    public height: number,
  ) {}
};

export function readJpegRgb(path: string): RgbImage {
  const d = jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 200, maxMemoryUsageInMB: 4096 });
  return { width: d.width, height: d.height, data: d.data as Uint8Array };
}

/** The photo resized to height h, centred on a w x h canvas of its mean colour (w >= its new width). */
export function onCanvas(img: RgbImage, w: number, h: number): RgbImage {
  const sw = Math.min(w, Math.round((img.width * h) / img.height));
  const scaled = resize(img, sw, h);
  const data = new Uint8Array(w * h * 3);
  const mean = [0, 0, 0];
  for (let i = 0; i < scaled.data.length; i++) mean[i % 3]! += scaled.data[i]!;
  for (let i = 0; i < data.length; i++) data[i] = Math.round(mean[i % 3]! / (sw * h));
  const x0 = Math.floor((w - sw) / 2);
  for (let y = 0; y < h; y++) data.set(scaled.data.subarray(y * sw * 3, (y + 1) * sw * 3), (y * w + x0) * 3);
  return { width: w, height: h, data };
}

/** Adds deterministic noise of +-amplitude (sensor-like texture, so the file has realistic entropy). */
export function addNoise(img: RgbImage, amplitude: number): RgbImage {
  const data = new Uint8Array(img.data.length);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const v = img.data[i]! + ((seed >>> 16) % (2 * amplitude + 1)) - amplitude;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { width: img.width, height: img.height, data };
}

/** The RGBA pixels the codecs take, every pixel with this alpha. */
function rgbaOf(img: RgbImage, alpha = 255): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    rgba[j] = img.data[i]!;
    rgba[j + 1] = img.data[i + 1]!;
    rgba[j + 2] = img.data[i + 2]!;
    rgba[j + 3] = alpha;
  }
  return rgba;
}

/** The error code a decode fails with ("decoded" when it does not fail): for tests of refused pictures. */
export const decodeErrorCode = (p: Promise<unknown>) => p.then(() => "decoded", (e) => (e instanceof ImageDecodeError ? e.code : String(e)));

let encoder: Promise<typeof import("@jsquash/jpeg/encode.js")> | undefined;

/** mozjpeg through @jsquash/jpeg (the same codec family the Worker decodes with), under Node. */
export async function encodeJpeg(img: RgbImage, opts: { progressive: boolean; quality?: number; grayscale?: boolean; chroma444?: boolean }): Promise<Uint8Array> {
  encoder ??= (async () => {
    const enc = await import("@jsquash/jpeg/encode.js");
    await enc.init(new WebAssembly.Module(readFileSync(join(jsquashDir, "codec/enc/mozjpeg_enc.wasm"))));
    return enc;
  })();
  const enc = await encoder;
  const out = await enc.default({ data: rgbaOf(img), width: img.width, height: img.height, colorSpace: "srgb" } as ImageData, {
    quality: opts.quality ?? 88,
    baseline: !opts.progressive,
    progressive: opts.progressive,
    optimize_coding: true,
    // Trellis quantisation only slows encoding down here.
    trellis_multipass: false,
    trellis_opt_zero: false,
    trellis_opt_table: false,
    trellis_loops: 1,
    color_space: opts.grayscale ? 1 : 3,
    auto_subsample: false,
    chroma_subsample: opts.chroma444 ? 1 : 2,
  });
  return new Uint8Array(out);
}

let webpEncoder: Promise<typeof import("@jsquash/webp/encode.js")> | undefined;

/** libwebp through @jsquash/webp, under Node: lossy (method 0, the fastest) unless `lossless`; `alpha` below 255 adds an alpha plane. */
export async function encodeWebp(img: RgbImage, opts: { quality?: number; lossless?: boolean; alpha?: number } = {}): Promise<Uint8Array> {
  webpEncoder ??= (async () => {
    const enc = await import("@jsquash/webp/encode.js");
    const dir = dirname(require.resolve("@jsquash/webp/package.json"));
    await enc.init(new WebAssembly.Module(readFileSync(join(dir, "codec/enc/webp_enc.wasm"))));
    return enc;
  })();
  const enc = await webpEncoder;
  const data = { data: rgbaOf(img, opts.alpha), width: img.width, height: img.height } as ImageData;
  return new Uint8Array(await enc.default(data, { quality: opts.quality ?? 85, method: 0, lossless: opts.lossless ? 1 : 0 }));
}

/** A JPEG whose pixels are stored turned so that EXIF orientation o shows `upright`. */
export async function encodeSideways(upright: RgbImage, o: 6 | 8 | 3, progressive: boolean): Promise<Uint8Array> {
  const inverse = { 6: 8, 8: 6, 3: 3 }[o];
  return withExifOrientation(await encodeJpeg(orient(upright, inverse), { progressive }), o);
}

/** Inserts an APP1 Exif segment (little-endian TIFF, one IFD entry: orientation) after SOI. */
export function withExifOrientation(jpegBytes: Uint8Array, o: number): Uint8Array {
  const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, o, 0, 0, 0, 0, 0, 0, 0];
  const app1 = [0xff, 0xe1, 0, 2 + 6 + tiff.length, 0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const out = new Uint8Array(jpegBytes.length + app1.length);
  out.set(jpegBytes.subarray(0, 2));
  out.set(app1, 2);
  out.set(jpegBytes.subarray(2), 2 + app1.length);
  return out;
}

/**
 * A PNG written here (Node's zlib) in any of the layouts the streaming decoder must read: colour type 0, 2,
 * 3 (palette of the image's grey levels), 4 or 6, depth 8 or 16 (or 1/2/4 for grey), Adam7 interlacing.
 * Rows cycle through the five filter types so that every unfilter path runs.
 */
export function encodePng(img: RgbImage, opts: { colorType: 0 | 2 | 3 | 4 | 6; depth?: 1 | 2 | 4 | 8 | 16; interlaced?: boolean }): Uint8Array {
  const { colorType, depth = 8, interlaced = false } = opts;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  const gray = (i: number) => Math.round((img.data[i * 3]! + img.data[i * 3 + 1]! + img.data[i * 3 + 2]!) / 3);
  const maxV = depth < 8 ? (1 << depth) - 1 : 255;
  // Samples of pixel i (0-255 scale, before packing).
  const samples = (i: number): number[] => {
    if (colorType === 0 || colorType === 3) return [colorType === 3 ? gray(i) : Math.round((gray(i) * maxV) / 255)];
    if (colorType === 4) return [gray(i), 200];
    const rgb = [img.data[i * 3]!, img.data[i * 3 + 1]!, img.data[i * 3 + 2]!];
    return colorType === 6 ? [...rgb, 128] : rgb;
  };
  const passes = interlaced ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  let total = 0;
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const w = Math.ceil((img.width - x0) / dx);
    if (w > 0) total += Math.ceil((img.height - y0) / dy) * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  const out = new Uint8Array(total);
  let at = 0;
  let filterType = 0;
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const w = Math.ceil((img.width - x0) / dx);
    if (w <= 0) continue;
    let prev = new Uint8Array(Math.ceil((w * bitsPerPixel) / 8));
    for (let y = y0; y < img.height; y += dy) {
      const raw = new Uint8Array(prev.length);
      for (let k = 0; k < w; k++) {
        const s = samples(y * img.width + x0 + k * dx);
        if (depth < 8) {
          const perByte = 8 / depth;
          raw[Math.floor(k / perByte)]! |= s[0]! << ((perByte - 1 - (k % perByte)) * depth);
        } else {
          s.forEach((v, c) => {
            if (depth === 16) {
              raw[(k * channels + c) * 2] = v;
              raw[(k * channels + c) * 2 + 1] = 0x5a;
            } else raw[k * channels + c] = v;
          });
        }
      }
      out[at++] = filterType;
      for (let i = 0; i < raw.length; i++) {
        const a = i >= bpp ? raw[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const p = a + b - c;
        const pred = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filterType]!;
        out[at++] = (raw[i]! - pred) & 255;
      }
      filterType = (filterType + 1) % 5;
      prev = raw;
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const b = new Uint8Array(12 + data.length);
    new DataView(b.buffer).setUint32(0, data.length);
    b.set(new TextEncoder().encode(type), 4);
    b.set(data, 8);
    return b; // CRC left zero: the decoders do not check it
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, img.width);
  new DataView(ihdr.buffer).setUint32(4, img.height);
  ihdr.set([depth, colorType, 0, 0, interlaced ? 1 : 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (colorType === 3) parts.push(chunk("PLTE", Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3))));
  const z = deflateSync(out, { level: 1 });
  // Split IDAT in two to check that chunks are joined.
  const half = Math.floor(z.length / 2);
  parts.push(chunk("IDAT", z.subarray(0, half)), chunk("IDAT", z.subarray(half)), chunk("IEND", new Uint8Array(0)));
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    png.set(p, o);
    o += p.length;
  }
  return png;
}
