// Phone-sized test pictures made from a shared photo: upscaled (or placed on a wide canvas), with a little
// noise so that the JPEG carries texture like a real photo, encoded by mozjpeg (baseline or progressive),
// optionally stored sideways with an EXIF orientation. Used by test/node/face-large-photos.test.ts and
// bench/face-large-photos.ts; nothing is written into the repository.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import jpeg from "jpeg-js";
import { orient } from "../../src/biometrics/face/decode";
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

let encoder: Promise<typeof import("@jsquash/jpeg/encode.js")> | undefined;

/** mozjpeg through @jsquash/jpeg (the same codec family the Worker decodes with), under Node. */
export async function encodeJpeg(img: RgbImage, opts: { progressive: boolean; quality?: number; grayscale?: boolean; chroma444?: boolean }): Promise<Uint8Array> {
  encoder ??= (async () => {
    const enc = await import("@jsquash/jpeg/encode.js");
    await enc.init(new WebAssembly.Module(readFileSync(join(jsquashDir, "codec/enc/mozjpeg_enc.wasm"))));
    return enc;
  })();
  const enc = await encoder;
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    rgba[j] = img.data[i]!;
    rgba[j + 1] = img.data[i + 1]!;
    rgba[j + 2] = img.data[i + 2]!;
    rgba[j + 3] = 255;
  }
  const out = await enc.default({ data: rgba, width: img.width, height: img.height, colorSpace: "srgb" } as ImageData, {
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
