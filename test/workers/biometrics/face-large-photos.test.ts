// Phone-sized pictures through the real path (API Worker -> inference Worker): a 48 MP JPEG is decoded
// (at 1/8, inside workerd) and judged on its content, a 54 MP one is refused by its size; WebPs (libwebp,
// test/inference-setup.ts makes a 9.7 MP one) verify, a 25+ MP one is refused. The JPEGs are flat grey, written here
// (2 bits a block), so the upload stays small; decoder and face accuracy on real photos are tested under
// Node (test/node/face-large-photos.test.ts, face-large-webp.test.ts).
import { describe, expect, inject, it } from "vitest";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { examWithEnrolment } from "./fixtures";

const img = inject("faceImages");

/** A baseline greyscale JPEG of w x h flat grey pixels: each block is "DC difference 0, end of block". */
function flatGreyJpeg(w: number, h: number): Uint8Array {
  const blocks = Math.ceil(w / 8) * Math.ceil(h / 8);
  const dqt = [0xff, 0xdb, 0, 67, 0, ...new Array(64).fill(1)];
  const sof = [0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0];
  // One code of length 1 in each table: DC symbol 0 (difference 0), AC symbol 0 (end of block).
  const dht = (tc: number) => [0xff, 0xc4, 0, 20, (tc << 4) | 0, 1, ...new Array(15).fill(0), 0];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0];
  const head = [0xff, 0xd8, ...dqt, ...sof, ...dht(0), ...dht(1), ...sos];
  const out = new Uint8Array(head.length + Math.ceil((blocks * 2) / 8) + 2); // the scan: all zero bits
  out.set(head);
  out.set([0xff, 0xd9], out.length - 2);
  return out;
}

const b64 = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};

describe("phone-sized pictures through the inference Worker", () => {
  it("decodes a 48 MP JPEG (no face in it) and refuses a 54 MP one by its size", { timeout: 60_000 }, async () => {
    const s = await newSession("STUDENT");
    const big = await api(faceRegisterRoute, { token: s.access, json: { image: `data:image/jpeg;base64,${b64(flatGreyJpeg(8064, 6048))}` } });
    expect(big.status).toBe(400);
    expect(expect400Shape(bodyAt(big, 400)).error_details.image?.[0]).toMatch(/^no_face/);
    const huge = await api(faceRegisterRoute, { token: s.access, json: { image: `data:image/jpeg;base64,${b64(flatGreyJpeg(9000, 6000))}` } });
    expect(huge.status).toBe(400);
    expect(expect400Shape(bodyAt(huge, 400)).error_details.image?.[0]).toMatch(/^image_too_large/);
    // Base64 just past what the field takes (a 17.3-18 MB picture): the same refusal, not the validator's own words.
    const over = await api(faceRegisterRoute, { token: s.access, json: { image: "A".repeat(22 * 1024 * 1024 + 4) } });
    expect(expect400Shape(bodyAt(over, 400)).error_details.image?.[0]).toBe("image_too_large: the picture is larger than 16777216 bytes.");
  });

  it("verifies with a 9.7 MP WebP (and a 640x480 one) and refuses a WebP above 25 MP by its size", { timeout: 60_000 }, async () => {
    if (!img.obamaWebp9mp || !img.obama || !img.obama1 || !img.obama2) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await examWithEnrolment(s.access);
    bodyAt(await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama1, img.obama2] } }), 200);
    const webp = await api(faceVerifyRoute, { token: s.access, json: { image: `data:image/webp;base64,${img.obamaWebp9mp}`, exam_id: examId } });
    expect(bodyAt(webp, 200)).toMatchObject({ is_match: true, resource_bool: true });
    if (img.obamaWebp640) {
      const small = await api(faceVerifyRoute, { token: s.access, json: { image: `data:image/webp;base64,${img.obamaWebp640}`, exam_id: examId } });
      expect(bodyAt(small, 200)).toMatchObject({ is_match: true });
    }

    // A lossy WebP header (RIFF, VP8X) claiming 6000x4200 (25.2 MP), nothing behind it.
    const header = new Uint8Array(30);
    header.set(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X"), 0);
    header.set([5999 & 255, 5999 >> 8, 0, 4199 & 255, 4199 >> 8, 0], 24);
    const huge = await api(faceVerifyRoute, { token: s.access, json: { image: `data:image/webp;base64,${b64(header)}`, exam_id: examId } });
    expect(huge.status).toBe(400);
    expect(expect400Shape(bodyAt(huge, 400)).error_details.image?.[0]).toMatch(/^image_too_large/);
  });
});
