// The few slow tests: real quantized models on real pictures through the real path (API Worker ->
// inference Worker -> student's Durable Object). Everything else about biometrics is tested without inference.
import { describe, expect, inject, it } from "vitest";
import { FACE_OPERATING_POINTS } from "../../../src/biometrics/face/operating-points";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { enrolmentOf, examWithEnrolment } from "./fixtures";

const img = inject("faceImages");
const dataUri = (b64: string) => `data:image/jpeg;base64,${b64}`;

describe("face biometrics with the real models", () => {
  it("registers three pictures, verifies the same person, refuses another person", { timeout: 60_000 }, async () => {
    if (!img.obama || !img.biden) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await examWithEnrolment(s.access);
    const reg = await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, dataUri(img.obama1!), img.obama2!] } });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    expect(reg.body).toMatchObject({ resource_name: "face_model", resource_bool: true });
    expect(bodyAt(reg, 200).extra_details).toContain("3 of 3");

    const same = await api(faceVerifyRoute, { token: s.access, json: { image: img.obama3!, exam_id: examId } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ is_match: true, resource_bool: true, resource_dict: { is_match: true, security_level: "high", threshold: FACE_OPERATING_POINTS.high.threshold } });
    expect(bodyAt(same, 200).resource_dict.score).toBeGreaterThanOrEqual(FACE_OPERATING_POINTS.high.threshold);
    expect(await enrolmentOf(examId, s.access)).toMatchObject({ verificationStatus: "Verified", verifiedBy: "face" });

    const other = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Face", voice_base64: img.biden } });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(other.body).toMatchObject({ is_match: false, resource_bool: false, resource_dict: { is_match: false, security_level: "high" } });
  });

  it("takes a one-person portrait whose background painting the detector alone counted as a second face", { timeout: 60_000 }, async () => {
    if (!img.biden2) return;
    const s = await newSession("STUDENT");
    const r = await api(faceRegisterRoute, { token: s.access, json: { image: img.biden2 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it("answers quality problems as 400s: no face, several faces, undecodable", { timeout: 60_000 }, async () => {
    const s = await newSession("STUDENT");
    const noFace = await api(faceRegisterRoute, { token: s.access, json: { image: `data:image/png;base64,${img.gradient}` } });
    expect(noFace.status).toBe(400);
    expect(expect400Shape(bodyAt(noFace, 400)).error_details.image?.[0]).toMatch(/^no_face/);

    if (img.group) {
      const group = await api(faceRegisterRoute, { token: s.access, json: { image: img.group } });
      expect(group.status).toBe(400);
      expect(bodyAt(group, 400).error_details.image?.[0]).toMatch(/^multiple_faces/);
    }

    const junk = btoa(String.fromCharCode(0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff)));
    const broken = await api(faceRegisterRoute, { token: s.access, json: { image: junk } });
    expect(broken.status).toBe(400);
    expect(bodyAt(broken, 400).error_details.image?.[0]).toMatch(/^undecodable/);
    if (img.obama) {
      // A real photo whose upload was cut short: mozjpeg alone would paint the rest grey and answer "no match".
      const half = img.obama.slice(0, Math.floor(img.obama.length / 8) * 4); // base64 of the file's first half
      const cut = await api(faceRegisterRoute, { token: s.access, json: { image: half } });
      expect(cut.status).toBe(400);
      expect(bodyAt(cut, 400).error_details.image?.[0]).toMatch(/^undecodable.*cut short/);
    }
    // Nothing was half-written.
    const list = await api(listRoute, { token: s.access });
    expect(bodyAt(list, 200).resource_array).toEqual([]);

    // One good picture among unusable ones registers, and says it is one picture only (found by a black-box probe).
    if (img.obama) {
      const one = await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, `data:image/png;base64,${img.gradient}`] } });
      expect(bodyAt(one, 200).message).toMatch(/^Face model registered from 1 picture only .*register again with 3 good pictures/);
      expect(bodyAt(one, 200).extra_details).toMatch(/^1 of 2 pictures used; left out images\.1: no_face/);
    }
  });
});
