// Phone photos (issue 17): JPEGs above 8 MP are decoded at 1/2, 1/4 or 1/8 scale by our own decoder, PNGs
// above 8 MP row by row with box downscaling (WebP: face-large-webp.test.ts); their pixels against jpeg-js /
// @jsquash/png / known sources, and the face found with nearly the same embedding as the pipeline gets from the full-resolution pixels
// (real models, onnxruntime-web under Node). Pictures are made in the test from a shared photo.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import jpeg from "jpeg-js";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeFace, SHARED } from "../../bench/node-face";
import { analyseImageBytes } from "../../src/biometrics/face/analyse";
import { decodeImage, MAX_JPEG_PIXELS } from "../../src/biometrics/face/decode";
import { otherImageFormat, unsupportedJpegKind } from "../../src/biometrics/face/header";
import { type RgbImage, resize, rgbFromRgba } from "../../src/biometrics/face/image";
import { checkJpegComplete } from "../../src/biometrics/face/jpeg/complete";
import { decodeJpegScaled, JpegError, scaleFor } from "../../src/biometrics/face/jpeg/decode";
import { analyseFace, cosine } from "../../src/biometrics/face/pipeline";
import { decodePngScaled, PngError } from "../../src/biometrics/face/png-stream";
import { addNoise, encodeJpeg, encodePng, encodeSideways, onCanvas, readJpegRgb, decodeErrorCode } from "../support/large-photo";

const OBAMA = join(SHARED, "faces/face_recognition/obama/obama.jpg"); // 910x1137, 4:4:4, restart interval 114
const PROGRESSIVE = join(SHARED, "media/obama1_1480x832_progressive.jpg");
const haveData = existsSync(OBAMA) && existsSync(PROGRESSIVE);

function psnr(a: RgbImage, b: RgbImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.data.length || 1e-9));
}

/** Each s x s block of the picture averaged (what decoding at 1/s approximates); edge blocks are partial. */
function boxDown(img: RgbImage, s: number): RgbImage {
  const width = Math.ceil(img.width / s);
  const height = Math.ceil(img.height / s);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let yy = y * s; yy < Math.min(img.height, (y + 1) * s); yy++) {
          for (let xx = x * s; xx < Math.min(img.width, (x + 1) * s); xx++, n++) sum += img.data[(yy * img.width + xx) * 3 + c]!;
        }
        data[(y * width + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return { width, height, data };
}

const jpegJs = (b: Uint8Array): RgbImage => {
  const d = jpeg.decode(b, { useTArray: true, formatAsRGBA: false });
  return { width: d.width, height: d.height, data: d.data as Uint8Array };
};

// Decoding at full scale in TS and the reference decoders take seconds on a loaded 2-core machine.
describe.skipIf(!haveData)("scaled JPEG decoder", { timeout: 30_000 }, () => {
  it("decodes baseline (4:4:4, restart markers) and progressive (4:2:0) like jpeg-js at full scale", () => {
    for (const file of [OBAMA, PROGRESSIVE]) {
      const b = new Uint8Array(readFileSync(file));
      const ours = decodeJpegScaled(b, 1);
      expect(psnr(ours, jpegJs(b))).toBeGreaterThan(45); // both round differently (float vs integer IDCT)
    }
  });

  it("at 1/2, 1/4 and 1/8 matches the full picture box-downscaled", () => {
    for (const file of [OBAMA, PROGRESSIVE]) {
      const b = new Uint8Array(readFileSync(file));
      const full = jpegJs(b);
      for (const s of [2, 4, 8]) {
        const ours = decodeJpegScaled(b, s);
        expect([ours.width, ours.height]).toEqual([Math.ceil(full.width / s), Math.ceil(full.height / s)]);
        expect(psnr(ours, boxDown(full, s))).toBeGreaterThan(30);
      }
    }
  });

  it("decodes grayscale and 4:4:4 progressive", async () => {
    const img = resize(readJpegRgb(OBAMA), 455, 568);
    for (const opts of [{ progressive: true, grayscale: true }, { progressive: true, chroma444: true }, { progressive: false, grayscale: true }]) {
      const b = await encodeJpeg(img, opts);
      const ref = jpegJs(b);
      expect(psnr(decodeJpegScaled(b, 1), ref)).toBeGreaterThan(45);
      const q = decodeJpegScaled(b, 4);
      expect(psnr(q, boxDown(ref, 4))).toBeGreaterThan(30);
    }
  });

  it("chooses the largest reduction that keeps the longer side at 800 px or more", () => {
    expect(scaleFor(8000, 6000, 800)).toBe(8);
    expect(scaleFor(6000, 4000, 800)).toBe(4); // 1/8 would be 750
    expect(scaleFor(4000, 3000, 800)).toBe(4);
    expect(scaleFor(3000, 3000, 800)).toBe(2);
    expect(scaleFor(700, 500, 800)).toBe(1);
  });

  it("refuses damaged data as JpegError, never by hanging or crashing", () => {
    const b = new Uint8Array(readFileSync(PROGRESSIVE));
    expect(() => decodeJpegScaled(b.subarray(0, 600), 8)).toThrow(JpegError);
    const arithmetic = b.slice();
    const sof = arithmetic.findIndex((v, i) => v === 0xff && arithmetic[i + 1] === 0xc2);
    arithmetic[sof + 1] = 0xca; // progressive, arithmetic coding
    expect(() => decodeJpegScaled(arithmetic, 8)).toThrow(JpegError);
    // The decoder checks the size of the frame it reads itself, whatever a header sniffer saw.
    expect(() => decodeJpegScaled(b, 8, 1_000_000)).toThrow(JpegError);
    // A header claiming 48 MP in front of the data of a 1.2 MP picture: stops when the data runs out.
    const claims48 = b.slice();
    const sof2 = claims48.findIndex((v, i) => v === 0xff && claims48[i + 1] === 0xc2);
    claims48.set([6000 >> 8, 6000 & 255, 8000 >> 8, 8000 & 255], sof2 + 5);
    const t = performance.now();
    expect(() => decodeJpegScaled(claims48, 8)).toThrow(JpegError);
    const half = new Uint8Array(readFileSync(OBAMA)).subarray(0, 60_000); // baseline, cut inside its scan
    expect(() => decodeJpegScaled(half, 8)).toThrow(/ends inside/);
    expect(performance.now() - t).toBeLessThan(2000);
    // Garbage in the entropy-coded data decodes to something (or throws JpegError), within its bounds.
    const noisy = b.slice();
    for (let i = 2000; i < noisy.length - 10; i += 97) if (noisy[i] !== 0xff && noisy[i - 1] !== 0xff) noisy[i] = noisy[i]! ^ 0x5a;
    for (const s of [1, 8]) {
      try {
        decodeJpegScaled(noisy, s);
      } catch (e) {
        expect(e).toBeInstanceOf(JpegError);
      }
    }
  });
});

describe.skipIf(!haveData)("streaming PNG decoder", { timeout: 30_000 }, () => {
  const small = () => resize(readJpegRgb(OBAMA), 91, 113); // odd sizes: partial boxes and Adam7 passes

  it("reads every colour type, bit depth and interlacing, exactly at full scale and as box means at 1/3", async () => {
    const img = small();
    const grey = (i: number) => Math.round((img.data[i * 3]! + img.data[i * 3 + 1]! + img.data[i * 3 + 2]!) / 3);
    const layouts = [
      { colorType: 2, depth: 8 },
      { colorType: 6, depth: 8 },
      { colorType: 6, depth: 16 },
      { colorType: 2, depth: 8, interlaced: true },
      { colorType: 6, depth: 16, interlaced: true },
      { colorType: 0, depth: 8 },
      { colorType: 4, depth: 16, interlaced: true },
      { colorType: 3, depth: 8, interlaced: true },
      { colorType: 0, depth: 4 },
      { colorType: 0, depth: 1, interlaced: true },
    ] as const;
    for (const layout of layouts) {
      const png = encodePng(img, layout);
      const isGrey = layout.colorType === 0 || layout.colorType === 3 || layout.colorType === 4;
      const levels = layout.depth < 8 ? (1 << layout.depth) - 1 : 255;
      const expected: RgbImage = { width: img.width, height: img.height, data: img.data.map((v, i) => (isGrey ? Math.round((Math.round((grey(Math.floor(i / 3)) * levels) / 255) * 255) / levels) : v)) };
      if (layout.colorType === 3 || (layout.colorType === 0 && layout.depth === 8) || layout.colorType === 4) for (let i = 0; i < expected.data.length; i++) expected.data[i] = grey(Math.floor(i / 3));
      const full = await decodePngScaled(png, 1);
      expect([full.width, full.height]).toEqual([img.width, img.height]);
      expect(Buffer.compare(full.data, expected.data), JSON.stringify(layout)).toBe(0); // identical pixels
      expect(psnr(await decodePngScaled(png, 3), boxDown(expected, 3)), JSON.stringify(layout)).toBeGreaterThan(50);
    }
  });

  it("matches @jsquash/png on the shared PNG photos", async () => {
    const png = await import("@jsquash/png/decode.js");
    await png.init(new WebAssembly.Module(readFileSync(join(dirname(createRequire(import.meta.url).resolve("@jsquash/png/package.json")), "codec/pkg/squoosh_png_bg.wasm"))));
    for (const file of ["media/obama_640x480.png", "faces/face_recognition/alex_lacamoire/alex-lacamoire.png"]) {
      const b = new Uint8Array(readFileSync(join(SHARED, file)));
      const ref = await png.decode(b.slice().buffer);
      const ours = await decodePngScaled(b, 1);
      expect([ours.width, ours.height]).toEqual([ref.width, ref.height]);
      expect(Buffer.compare(ours.data, rgbFromRgba(ref.width, ref.height, ref.data).data)).toBe(0); // identical pixels
    }
  });

  it("refuses truncated or damaged data as PngError", async () => {
    const png = encodePng(small(), { colorType: 2 });
    await expect(decodePngScaled(png.subarray(0, png.length - 200), 2)).rejects.toBeInstanceOf(PngError);
    // A second IHDR (after the one whose size decodeImage checked) claiming a huge picture.
    const twoHeaders = new Uint8Array(png.length + 25);
    twoHeaders.set(png.subarray(0, 33));
    twoHeaders.set(png.subarray(8, 33), 33);
    twoHeaders.set([0x7f, 0xff, 0xff, 0xff], 33 + 8);
    twoHeaders.set(png.subarray(33), 58);
    await expect(decodePngScaled(twoHeaders, 2)).rejects.toThrow(/bad IHDR/);
    await expect(decodePngScaled(png, 2, 1000)).rejects.toBeInstanceOf(PngError);
    const bad = png.slice();
    bad[60] = bad[60]! ^ 0xff;
    bad[70] = bad[70]! ^ 0xff;
    await expect(decodePngScaled(bad, 2)).rejects.toBeInstanceOf(PngError);
  });
});

/** A JPEG header (SOI + SOF0) claiming w x h, with no image data behind it. */
function jpegHeader(w: number, h: number): Uint8Array {
  return new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
}
const pngHeader = (w: number, h: number, depth = 8, colorType = 2) =>
  new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, w >>> 24, (w >> 16) & 255, (w >> 8) & 255, w & 255, h >>> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255, depth, colorType, 0, 0, 0]);

/** A lossy WebP header (RIFF, VP8X) claiming w x h. */
const webpHeader = (w: number, h: number) => {
  const b = new Uint8Array(30);
  b.set(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X"), 0);
  b.set([(w - 1) & 255, ((w - 1) >> 8) & 255, (w - 1) >> 16, (h - 1) & 255, ((h - 1) >> 8) & 255, (h - 1) >> 16], 24);
  return b;
};

/** A lossless WebP header (RIFF, VP8L) claiming w x h. */
const losslessWebpHeader = (w: number, h: number) => {
  const b = new Uint8Array(30);
  b.set(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8L"), 0);
  const bits = (w - 1) | ((h - 1) << 14);
  b.set([0x2f, bits & 255, (bits >> 8) & 255, (bits >> 16) & 255, bits >>> 24], 20);
  return b;
};

describe("size limits", () => {
  const notUsed = () => Promise.reject(new Error("not used"));
  const noDecoders = { jpeg: notUsed, png: notUsed, webp: notUsed };

  it("names a picture's format when it is another common one, and the kind of JPEG the decoder does not read", async () => {
    // A probe's HEIC, AVIF, GIF, BMP, TIFF, CMYK, arithmetic-coded and lossless pictures got bare "could not be decoded"s.
    const bytes = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));
    const cases: [Uint8Array, string | null][] = [
      [bytes("GIF89a", [1, 0, 1, 0]), "GIF"],
      [bytes("BM", [0, 0, 0, 0]), "BMP"],
      [bytes("II", [42, 0, 8, 0]), "TIFF"],
      [bytes([0, 0, 0, 24], "ftypheic", [0, 0, 0, 0]), "HEIC"],
      [bytes([0, 0, 0, 24], "ftypavif", [0, 0, 0, 0]), "AVIF"],
      [bytes([0, 0, 0, 24], "ftypisom", [0, 0, 0, 0]), null],
    ];
    for (const [b, name] of cases) expect(otherImageFormat(b), name ?? "mp4").toBe(name);
    const failing = { jpeg: notUsed, png: notUsed, webp: notUsed };
    await expect(decodeImage(cases[3]![0], failing)).rejects.toThrow(/in HEIC format; send a JPEG, PNG or WebP/);
    // Start-of-frame headers: marker, precision, components.
    const sof = (marker: number, precision: number, components: number) =>
      new Uint8Array([0xff, 0xd8, 0xff, marker, 0, 8 + 3 * components, precision, 0, 16, 0, 16, components, ...Array(3 * components).fill(1), 0xff, 0xd9]);
    expect(unsupportedJpegKind(sof(0xc9, 8, 3))).toBe("arithmetic-coded");
    expect(unsupportedJpegKind(sof(0xc3, 8, 3))).toBe("lossless");
    expect(unsupportedJpegKind(sof(0xc1, 12, 3))).toBe("12-bit");
    expect(unsupportedJpegKind(sof(0xc0, 8, 4))).toBe("CMYK");
    expect(unsupportedJpegKind(sof(0xc0, 8, 3))).toBeNull();
    expect(unsupportedJpegKind(sof(0xc2, 8, 1))).toBeNull();
  });

  it("refuses a JPEG above 52 MP and PNG/WebP above their limits as image_too_large", async () => {
    expect(MAX_JPEG_PIXELS).toBe(52_000_000);
    expect(await decodeErrorCode(decodeImage(jpegHeader(9000, 6000), noDecoders))).toBe("image_too_large"); // 54 MP
    expect(await decodeErrorCode(decodeImage(jpegHeader(65535, 65535), noDecoders))).toBe("image_too_large");
    expect(await decodeErrorCode(decodeImage(pngHeader(100000, 100000), noDecoders))).toBe("image_too_large");
    expect(await decodeErrorCode(decodeImage(pngHeader(6000, 4200), noDecoders))).toBe("image_too_large"); // 25.2 MP
    expect(await decodeErrorCode(decodeImage(webpHeader(6000, 4200), noDecoders))).toBe("image_too_large"); // 25.2 MP
    // A "24 MP" camera's picture (5712x4284, 24.5 MP) is within the limits: refused only for having no pixels here.
    expect(await decodeErrorCode(decodeImage(pngHeader(5712, 4284), noDecoders))).not.toBe("image_too_large");
    expect(await decodeErrorCode(decodeImage(webpHeader(5712, 4284), noDecoders))).not.toBe("image_too_large");
    expect(await decodeErrorCode(decodeImage(webpHeader(16384, 16384), noDecoders))).toBe("image_too_large");
    expect(await decodeErrorCode(decodeImage(losslessWebpHeader(3000, 3000), noDecoders))).toBe("image_too_large"); // lossless stays at 8 MP
  });

  it("refuses a PNG whose rows inflate beyond 25 MP of 8-bit RGB, whatever its pixel count (a 194 KB file of zero rows took 2.8 s)", async () => {
    expect(await decodeErrorCode(decodeImage(pngHeader(5000, 5000, 16, 6), noDecoders))).toBe("image_too_large"); // 200 MB
    expect(await decodeErrorCode(decodeImage(pngHeader(5000, 4000, 8, 6), noDecoders))).toBe("image_too_large"); // 80 MB
    expect(await decodeErrorCode(decodeImage(pngHeader(4000, 4000, 8, 6), noDecoders))).not.toBe("image_too_large"); // 64 MB
    expect(await decodeErrorCode(decodeImage(pngHeader(3000, 2500, 16, 6), noDecoders))).not.toBe("image_too_large"); // 60 MB, decoded whole
  });

  it("refuses a JPEG cut short before any decoder runs; whole files pass", async () => {
    for (const file of [OBAMA, PROGRESSIVE].filter(existsSync)) {
      const bytes = new Uint8Array(readFileSync(file));
      expect(() => checkJpegComplete(bytes)).not.toThrow();
      for (const frac of [0.2, 0.5, 0.9, 0.999]) {
        expect(await decodeErrorCode(decodeImage(bytes.subarray(0, Math.floor(bytes.length * frac)), noDecoders)), `${file} ${frac}`).toBe("undecodable");
      }
    }
  });

  it("answers a header claiming a large JPEG without the data behind it as undecodable", async () => {
    expect(await decodeErrorCode(decodeImage(jpegHeader(8000, 6000), noDecoders))).toBe("undecodable");
    expect(await decodeErrorCode(decodeImage(pngHeader(6000, 4000), noDecoders))).toBe("undecodable");
  });
});

describe.skipIf(!haveData)("phone photos through the face pipeline (real models)", () => {
  let face: Awaited<ReturnType<typeof nodeFace>>;
  let upright: RgbImage;
  beforeAll(async () => {
    face = await nodeFace();
    upright = readJpegRgb(OBAMA);
  }, 60_000);

  /** Decoded at reduced scale vs the pipeline on the full-resolution pixels the file was made from. */
  const compare = async (bytes: Uint8Array, full: RgbImage) => {
    const r = await analyseImageBytes(bytes, face.decoders, face.models);
    const ref = await analyseFace(full, face.models);
    if (!r.ok) throw new Error(r.message);
    expect(r.status).toBe("ok");
    expect(ref.status).toBe("ok");
    expect([r.width, r.height]).toEqual([full.width, full.height]);
    expect(r.live).toBe(ref.live);
    // The box is reported in the original's pixels.
    for (const k of ["x", "y", "w", "h"] as const) expect(Math.abs(r.box![k] - ref.box![k])).toBeLessThan(0.05 * ref.box!.w);
    return cosine(r.embedding!, ref.embedding!);
  };

  it("a 13 MP baseline photo stored sideways (EXIF 6) is decoded at 1/4, upright", { timeout: 120_000 }, async () => {
    const big = addNoise(resize(upright, 3276, 4093), 3);
    expect(await compare(await encodeSideways(big, 6, false), big)).toBeGreaterThan(0.99);
  });

  it("a 12.6 MP progressive panorama is decoded from its DC terms only (1/8)", { timeout: 120_000 }, async () => {
    const pano = addNoise(onCanvas(upright, 7000, 1800), 3);
    expect(await compare(await encodeJpeg(pano, { progressive: true }), pano)).toBeGreaterThan(0.99);
  });

  it("a 10.5 MP PNG is decoded row by row at 1/4", { timeout: 120_000 }, async () => {
    const big = addNoise(onCanvas(upright, 3900, 2700), 3);
    expect(await compare(encodePng(big, { colorType: 2 }), big)).toBeGreaterThan(0.99);
  });

  it("a 9 MP progressive square photo is decoded at 1/2", { timeout: 120_000 }, async () => {
    const sq = addNoise(onCanvas(upright, 3000, 3000), 3);
    expect(await compare(await encodeJpeg(sq, { progressive: true }), sq)).toBeGreaterThan(0.99);
  });
});
