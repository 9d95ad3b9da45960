// Phone photos (issue 17), WebP: every WebP is decoded by libwebp straight to the reduced size, lossy ones up
// to 24 MP (src/biometrics/face/webp/scaled.ts); its pixels against a whole decode by @jsquash/webp averaged
// down, damaged files as undecodable, and the face found with nearly the same embedding as the pipeline gets
// from the full-resolution pixels (real models, onnxruntime-web under Node). Pictures are made here.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeFace, SHARED } from "../../bench/node-face";
import { analyseImageBytes } from "../../src/biometrics/face/analyse";
import { decodeImage, webpImageChunk } from "../../src/biometrics/face/decode";
import { type RgbImage, rgbFromRgba } from "../../src/biometrics/face/image";
import { analyseFace, cosine } from "../../src/biometrics/face/pipeline";
import { decodeWebpScaled, WebpError } from "../../src/biometrics/face/webp/scaled";
import { addNoise, encodeWebp, onCanvas, readJpegRgb, decodeErrorCode } from "../support/large-photo";

const OBAMA = join(SHARED, "faces/face_recognition/obama/obama.jpg");
const haveData = existsSync(OBAMA);
const wasm = new WebAssembly.Module(readFileSync(new URL("../../src/biometrics/face/webp/webp-scaled.wasm", import.meta.url)));

/** Each s x s block averaged (what libwebp's area-averaging rescaler does for an exact 1/s). */
function boxDown(img: RgbImage, s: number): RgbImage {
  const width = img.width / s;
  const height = img.height / s;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let yy = y * s; yy < (y + 1) * s; yy++) for (let xx = x * s; xx < (x + 1) * s; xx++) sum += img.data[(yy * img.width + xx) * 3 + c]!;
        data[(y * width + x) * 3 + c] = Math.round(sum / (s * s));
      }
    }
  }
  return { width, height, data };
}

function psnr(a: RgbImage, b: RgbImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.data.length || 1e-9));
}

/** A whole decode by @jsquash/webp (libwebp's own RGBA output), as RGB. */
async function wholeDecode(bytes: Uint8Array): Promise<RgbImage> {
  const dec = await import("@jsquash/webp/decode.js");
  await dec.init(new WebAssembly.Module(readFileSync(join(dirname(createRequire(import.meta.url).resolve("@jsquash/webp/package.json")), "codec/dec/webp_dec.wasm"))));
  const d = await dec.default(bytes.slice().buffer);
  return rgbFromRgba(d.width, d.height, d.data);
}


describe.skipIf(!haveData)("scaled WebP decoder", { timeout: 60_000 }, () => {
  let face: Awaited<ReturnType<typeof nodeFace>>;
  let upright: RgbImage;
  beforeAll(async () => {
    face = await nodeFace();
    upright = readJpegRgb(OBAMA);
  }, 60_000);

  it("decodes lossy and lossless WebP to 1/3 like a whole decode averaged down", async () => {
    const img = addNoise(onCanvas(upright, 1200, 900), 3);
    for (const lossless of [false, true]) {
      const bytes = await encodeWebp(img, { quality: 90, lossless });
      expect(webpImageChunk(bytes)?.lossless).toBe(lossless);
      const reference = boxDown(await wholeDecode(bytes), 3);
      // Lossy: libwebp scales the Y, U and V planes before converting to RGB, so it is close, not equal.
      expect(psnr(await decodeWebpScaled(wasm, bytes, 400, 300), reference)).toBeGreaterThan(lossless ? 45 : 35);
    }
  });

  it("decodes a small WebP (640x480, reduction 1) to the same pixels as a whole decode", async () => {
    const bytes = new Uint8Array(readFileSync(join(SHARED, "media/obama_640x480.webp")));
    const ours = await decodeImage(bytes, face.decoders);
    expect(ours.reduction).toBe(1);
    expect(Buffer.compare(ours.image.data, (await wholeDecode(bytes)).data)).toBe(0);
  });

  it("answers damaged, truncated and inconsistent WebPs above 8 MP as undecodable", async () => {
    const headerOnly = new Uint8Array(30);
    headerOnly.set(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X"), 0);
    headerOnly.set([3999 & 255, 3999 >> 8, 0, 2299 & 255, 2299 >> 8, 0], 24); // 4000x2300
    expect(await decodeErrorCode(decodeImage(headerOnly, face.decoders))).toBe("undecodable");
    const bytes = await encodeWebp(onCanvas(upright, 4000, 2300), { quality: 50 });
    expect(await decodeErrorCode(decodeImage(bytes.subarray(0, bytes.length >> 1), face.decoders))).toBe("undecodable");
    // A VP8X canvas of 3000x3000 (within the limits) over that 4000x2300 image: the limit was checked on the
    // canvas, so the image must match it.
    const vp8x = new Uint8Array(18);
    vp8x.set(new TextEncoder().encode("VP8X\x0a\0\0\0"), 0);
    vp8x.set([2999 & 255, 2999 >> 8, 0, 2999 & 255, 2999 >> 8, 0], 12);
    const liar = new Uint8Array([...bytes.subarray(0, 12), ...vp8x, ...bytes.subarray(12)]);
    expect(await decodeErrorCode(decodeImage(liar, face.decoders))).toBe("undecodable");
    await expect(decodeWebpScaled(wasm, new Uint8Array(100), 10, 10)).rejects.toThrow(WebpError);
  });

  it("decodes a lossy WebP with an alpha plane above 8 MP without the plane, to the same RGB", async () => {
    const bytes = await encodeWebp(onCanvas(upright, 3000, 3000), { quality: 50, alpha: 128 });
    expect(new TextDecoder().decode(bytes.subarray(30, 34))).toBe("ALPH");
    const ours = await decodeImage(bytes, face.decoders);
    expect([ours.image.width, ours.image.height, ours.reduction]).toEqual([1000, 1000, 3]);
    // libwebp on the whole file decodes the alpha plane too (a 9 MB plane here), and the RGB is the same.
    expect(Buffer.compare(ours.image.data, (await decodeWebpScaled(wasm, bytes, 1000, 1000)).data)).toBe(0);
  });

  it("a 9.7 MP lossy WebP is decoded at 1/4 and verifies like its full-resolution pixels", async () => {
    const big = addNoise(onCanvas(upright, 3600, 2700), 3);
    const r = await analyseImageBytes(await encodeWebp(big), face.decoders, face.models);
    const ref = await analyseFace(big, face.models);
    if (!r.ok) throw new Error(r.message);
    expect(r.status).toBe("ok");
    expect(ref.status).toBe("ok");
    expect([r.width, r.height]).toEqual([3600, 2700]);
    expect(r.live).toBe(ref.live);
    // The box is reported in the original's pixels.
    for (const k of ["x", "y", "w", "h"] as const) expect(Math.abs(r.box![k] - ref.box![k])).toBeLessThan(0.05 * ref.box!.w);
    expect(cosine(r.embedding!, ref.embedding!)).toBeGreaterThan(0.99);
  });
});
