// Pure parts of the face pipeline: geometry, detection post-processing, image headers, orientation,
// enrolment agreement, template sealing and the quantizer. No models here (see test/workers/biometrics).
import { describe, expect, it } from "vitest";
import { fivePoints, REFERENCE_112, similarity } from "../../src/biometrics/face/align";
import { decodeDetections } from "../../src/biometrics/face/detect";
import { exifOrientation, headerSize, orient, sniffFormat } from "../../src/biometrics/face/decode";
import { pad, resize } from "../../src/biometrics/face/image";
import { buildTemplate } from "../../src/biometrics/face/templates";
import { openVector, sealVector } from "../../src/templates/seal/at-rest";
import { faceVerdictMessage, imageBytesFromField, MAX_IMAGE_BYTES } from "../../src/services/biometrics/face";
import { blockinessOf, sharpnessOf } from "../../src/biometrics/face/pipeline";
import { FACE_POLICY } from "../../src/biometrics/face/policy";
// @ts-expect-error: plain ESM script without type declarations
import { keepFloat, quantizePerChannel } from "../../scripts/prepare-models.mjs";

describe("similarity alignment", () => {
  it("recovers a known rotation, scale and shift", () => {
    const a = 0.8 * Math.cos(0.3), b = 0.8 * Math.sin(0.3);
    const src = REFERENCE_112.map((p) => ({ x: p.x * 2 + 5, y: p.y * 2 - 3 }));
    const dst = src.map((p) => ({ x: a * p.x - b * p.y + 10, y: b * p.x + a * p.y - 4 }));
    const t = similarity(src, dst);
    expect(t.a).toBeCloseTo(a, 6);
    expect(t.b).toBeCloseTo(b, 6);
    expect(t.tx).toBeCloseTo(10, 4);
    expect(t.ty).toBeCloseTo(-4, 4);
  });
  it("takes eye centres, nose tip and mouth corners from the 68 points", () => {
    const pts = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 2 * i }));
    const five = fivePoints(pts);
    expect(five[0]).toEqual({ x: 38.5, y: 77 });
    expect(five[1]).toEqual({ x: 44.5, y: 89 });
    expect(five.slice(2)).toEqual([pts[30], pts[48], pts[54]]);
  });
});

describe("detections", () => {
  it("keeps the highest score among overlapping boxes, clamps to the frame, drops low scores", () => {
    const scores = new Float32Array([0.1, 0.9, 0.05, 0.95, 0.5, 0.5, 0.2, 0.8]);
    const boxes = new Float32Array([0.1, 0.1, 0.5, 0.5, 0.12, 0.1, 0.52, 0.5, 0.6, 0.6, 0.9, 0.9, -0.1, 0.6, 0.3, 1.2]);
    const d = decodeDetections(scores, boxes, 100, 200, 0.7);
    expect(d.map((x) => x.score)).toEqual([expect.closeTo(0.95), expect.closeTo(0.8)]);
    expect(d[1]).toMatchObject({ x1: 0, y2: 200 });
  });
});

describe("image headers and orientation", () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 2, 128, 0, 0, 1, 224]);
  it("sniffs formats by content and reads sizes from headers", () => {
    expect(sniffFormat(png)).toBe("png");
    expect(headerSize(png, "png")).toEqual({ width: 640, height: 480 });
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 17, 8, 0, 100, 0, 200, 3, 0, 0, 0, 0]);
    expect(sniffFormat(jpeg)).toBe("jpeg");
    expect(headerSize(jpeg, "jpeg")).toEqual({ width: 200, height: 100 });
    expect(sniffFormat(new TextEncoder().encode("GIF89a......"))).toBeNull();
    expect(exifOrientation(jpeg)).toBe(1);
  });
  it("reads the EXIF orientation and turns the picture upright", () => {
    // APP1 Exif, little-endian TIFF, one IFD entry: orientation = 6.
    const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
    const app1 = [0xff, 0xe1, 0, 2 + 6 + tiff.length, ...new TextEncoder().encode("Exif"), 0, 0, ...tiff];
    expect(exifOrientation(new Uint8Array([0xff, 0xd8, ...app1, 0xff, 0xda]))).toBe(6);
    // 2x1 picture [A B] rotated 90 degrees clockwise becomes 1x2 [A; B].
    const img = { width: 2, height: 1, data: new Uint8Array([1, 1, 1, 2, 2, 2]) };
    expect(orient(img, 6)).toEqual({ width: 1, height: 2, data: new Uint8Array([1, 1, 1, 2, 2, 2]) });
    expect(orient(img, 3).data).toEqual(new Uint8Array([2, 2, 2, 1, 1, 1]));
  });
  it("resizes and pads", () => {
    const img = { width: 4, height: 4, data: new Uint8Array(48).fill(100) };
    expect(resize(img, 2, 2)).toEqual({ width: 2, height: 2, data: new Uint8Array(12).fill(100) });
    const p = pad(img, 0.25);
    expect([p.image.width, p.image.height, p.offsetX]).toEqual([6, 6, 1]);
  });
});

describe("sharpness of the aligned face", () => {
  // A planar 3x112x112 tensor as alignedTensor makes it, from a luminance function.
  const tensor = (lum: (x: number, y: number) => number) => {
    const t = new Float32Array(3 * 112 * 112);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) t[c * 112 * 112 + y * 112 + x] = lum(x, y);
    return t;
  };
  it("is high for fine detail, low for smooth shading, and ignores contrast", () => {
    const detail = (x: number, y: number) => ((x >> 1) + (y >> 1)) % 2 ? 0.5 : -0.5;
    const smooth = (x: number, y: number) => Math.sin(x / 20) * Math.cos(y / 25) * 0.5;
    expect(sharpnessOf(tensor(detail))).toBeGreaterThan(FACE_POLICY.blurredBelow);
    expect(sharpnessOf(tensor(smooth))).toBeLessThan(FACE_POLICY.blurredBelow);
    expect(sharpnessOf(tensor((x, y) => 0.2 * detail(x, y)))).toBeCloseTo(sharpnessOf(tensor(detail)), 5);
  });
  it("a refusal of a blurred or over-compressed face says so; a match or a clean refusal does not", () => {
    expect(faceVerdictMessage({ isMatch: false, blurred: true, compressed: false })).toMatch(/does not match.*looks blurred/);
    expect(faceVerdictMessage({ isMatch: false, blurred: false, compressed: true })).toMatch(/does not match.*heavily compressed/);
    expect(faceVerdictMessage({ isMatch: false, blurred: false, compressed: false })).toBe("The face does not match the registered face model");
    expect(faceVerdictMessage({ isMatch: true, blurred: true, compressed: true })).toBe("The face matches the registered face model");
  });
  it("blockiness: flat 8x8 blocks (a quality-5 JPEG's look) stand out, a picture without a grid does not", () => {
    const picture = (value: (x: number, y: number) => number) => {
      const data = new Uint8Array(64 * 64 * 3);
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) data.fill(value(x, y), (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
      return { width: 64, height: 64, data };
    };
    const box = { x1: 0, y1: 0, x2: 64, y2: 64, score: 1 };
    const noise = (x: number, y: number) => (Math.sin(x * 12.9898 + y * 78.233) * 43758.5453) % 1;
    const blocky = picture((x, y) => 100 + 20 * Math.floor(x / 8) + 7 * Math.floor(y / 8) + 2 * noise(x, y));
    const plain = picture((x, y) => 120 + 40 * noise(x, y));
    expect(blockinessOf(blocky, box)!).toBeGreaterThan(FACE_POLICY.compressedAbove);
    expect(blockinessOf(plain, box)!).toBeLessThan(FACE_POLICY.compressedAbove);
    expect(blockinessOf(plain, { ...box, x2: 10 })).toBeUndefined(); // too small a region to say
  });
});

describe("enrolment agreement", () => {
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
  it("averages agreeing embeddings and refuses a set with a stranger", () => {
    const a = unit([1, 0.1, 0]), b = unit([1, 0, 0.1]), c = unit([0, 0, 1]);
    const ok = buildTemplate([a, b]);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(Math.hypot(...ok.template)).toBeCloseTo(1, 5);
    expect(buildTemplate([a, b, c])).toMatchObject({ ok: false, pair: [0, 2] });
  });
});

describe("template sealing", () => {
  const ctx = { institutionId: 1, studentId: 2, biometricType: "Face", modelId: "m1" };
  const secret = "x".repeat(40);
  it("opens only for the same student and model", async () => {
    const v = new Float32Array([0.1, -0.2, 0.3]);
    const sealed = await sealVector(secret, ctx, v);
    const open = (secrets: string[], c = ctx) => openVector(secrets, c, sealed.iv as Uint8Array<ArrayBuffer>, sealed.ciphertext as Uint8Array<ArrayBuffer>);
    expect(await open([secret])).toEqual({ value: v, rotated: false });
    expect(await open([secret], { ...ctx, studentId: 3 })).toBeNull();
    expect(await open([secret], { ...ctx, modelId: "m2" })).toBeNull();
    expect(await open(["y".repeat(40)])).toBeNull();
    // During a key rotation the previous secret still opens it, and says so (the caller seals it again).
    expect(await open(["y".repeat(40), secret])).toEqual({ value: v, rotated: true });
  });
});

describe("image fields", () => {
  it("accepts base64 and data: URIs, refuses URLs and blanks", () => {
    expect(imageBytesFromField("image", "data:image/png;base64,AAEC")).toEqual(new Uint8Array([0, 1, 2]));
    // RFC 2397: scheme and type in any case; FileReader's type for an untyped Blob; parameters (a probe's were 400s).
    for (const prefix of ["DATA:IMAGE/JPEG;BASE64,", "data:application/octet-stream;base64,", "data:image/jpeg;name=a.jpg;base64,", "data:image/heic;base64,"]) {
      expect(imageBytesFromField("image", `${prefix}AAEC`), prefix).toEqual(new Uint8Array([0, 1, 2]));
    }
    expect(imageBytesFromField("image", " AAE\nC ")).toEqual(new Uint8Array([0, 1, 2]));
    const detail = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return JSON.stringify((e as { body: unknown }).body);
      }
      return "no error";
    };
    expect(detail(() => imageBytesFromField("image", "https://example.org/a.jpg"))).toMatch(/URLs are not fetched/);
    expect(() => imageBytesFromField("image", "data:text/html;base64,AAEC")).toThrow();
    expect(() => imageBytesFromField("image", "   ")).toThrow();
  });

  it("takes a picture of exactly MAX_IMAGE_BYTES, not one byte more, padded or not", () => {
    const exact = Buffer.alloc(MAX_IMAGE_BYTES, 7).toString("base64");
    expect(imageBytesFromField("image", exact).length).toBe(MAX_IMAGE_BYTES);
    expect(imageBytesFromField("image", exact.replace(/=+$/, "")).length).toBe(MAX_IMAGE_BYTES);
    expect(() => imageBytesFromField("image", Buffer.alloc(MAX_IMAGE_BYTES + 1, 7).toString("base64"))).toThrow();
  });
});

describe("weight quantizer", () => {
  it("quantizes per output channel within half a step", () => {
    const w = Float32Array.from({ length: 2 * 50 }, (_, i) => (i < 50 ? Math.sin(i) * 0.01 : Math.cos(i) * 3));
    const { q, scales } = quantizePerChannel(w, 2);
    expect(scales[1] / scales[0]).toBeGreaterThan(100);
    for (let i = 0; i < w.length; i++) expect(Math.abs(q[i] * scales[i < 50 ? 0 : 1] - w[i]!)).toBeLessThanOrEqual(scales[i < 50 ? 0 : 1] / 2 + 1e-9);
    expect(keepFloat({ dims: [64, 1, 3, 3], group: 64 })).toBe(true);
    expect(keepFloat({ dims: [256, 64, 1, 1], group: 1 })).toBe(false);
  });
});
