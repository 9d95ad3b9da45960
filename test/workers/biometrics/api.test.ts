// The biometrics endpoints' contract without running the models: auth, validation, limits, list and
// unregister, the exam check of face_verify.
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { call, expect400Shape, newSession } from "../helpers";
import { examWithEnrolment, ownerOf, templatesOf, unitVector } from "./fixtures";

const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields), headers: { "content-type": "application/x-www-form-urlencoded" } });

describe("biometrics endpoints: who may call", () => {
  it("401 without a token, 403 for instructors", async () => {
    for (const [path, init] of [
      ["/biometrics/face_register", { json: { image: "AAAA" } }],
      ["/biometrics/face_verify", { json: { image: "AAAA", exam_id: 1 } }],
      ["/biometrics/list", {}],
      ["/biometrics/unregister", { json: { biometric_type: "Face" } }],
      ["/biometrics/server_status", {}],
      ["/biometrics/register", form({ biometric_type: "Face", voice_base64: "AAAA" })],
      ["/biometrics/verify", form({ biometric_type: "Face", voice_base64: "AAAA" })],
    ] as const) {
      expect((await call(path, init)).status, path).toBe(401);
    }
    const instructor = await newSession("INSTRUCTOR");
    expect((await call("/biometrics/list", { token: instructor.access })).status).toBe(403);
    expect((await call("/biometrics/face_register", { token: instructor.access, json: { image: "AAAA" } })).status).toBe(403);
  });
});

describe("biometrics endpoints: input", () => {
  it("face_register: missing image, blank, bad base64, URL instead of data", async () => {
    const s = await newSession("STUDENT");
    const missing = await call("/biometrics/face_register", { token: s.access, json: {} });
    expect(missing.status).toBe(400);
    expect(expect400Shape(missing.body).missing_required_fields).toEqual(["image"]);
    const blank = await call("/biometrics/face_register", { token: s.access, json: { image: "" } });
    expect(blank.status).toBe(400);
    expect(blank.body.missing_required_fields).toEqual(["image"]);
    const bad = await call("/biometrics/face_register", { token: s.access, json: { image: "not base64 at all!" } });
    expect(bad.status).toBe(400);
    expect(bad.body.bad_formatted_fields).toEqual(["image"]);
    const url = await call("/biometrics/face_register", { token: s.access, json: { image: "https://example.org/me.jpg" } });
    expect(url.status).toBe(400);
    expect(url.body.error_details.image[0]).toMatch(/URLs are not fetched/);
    const huge = await call("/biometrics/face_register", { token: s.access, json: { images: ["A".repeat(22_500_000)] } });
    expect(huge.status).toBe(400);
    expect(huge.body.error_details["images.0"][0]).toMatch(/^image_too_large/);
    const tooMany = await call("/biometrics/face_register", { token: s.access, json: { images: Array(6).fill("AAAA") } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.bad_formatted_fields).toContain("images");
  });

  it("face_verify: exam_id required; unknown or unenrolled exam is 404", async () => {
    const s = await newSession("STUDENT");
    const noExam = await call("/biometrics/face_verify", { token: s.access, json: { image: "AAAA" } });
    expect(noExam.status).toBe(400);
    expect(noExam.body.missing_required_fields).toEqual(["exam_id"]);
    const unknown = await call("/biometrics/face_verify", { token: s.access, json: { image: "AAAA", exam_id: 99999999 } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ resource_name: "examination", resource_str: "99999999" });
    const notEnrolled = await examWithEnrolment(s.access, false);
    expect((await call("/biometrics/face_verify", { token: s.access, json: { image: "AAAA", exam_id: notEnrolled } })).status).toBe(404);
  });

  it("413 above the size limit, 415 for other media types", async () => {
    const s = await newSession("STUDENT");
    const big = await call("/biometrics/face_verify", {
      token: s.access,
      body: "x".repeat(23 * 1024 * 1024 + 1), // LIMITS.faceVerify: one phone photo of up to 16 MiB in base64
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    const wrongType = await call("/biometrics/face_register", { token: s.access, body: "image=AAAA", headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(415);
    const jsonOnForm = await call("/biometrics/register", { token: s.access, json: { biometric_type: "Face" } });
    expect(jsonOnForm.status).toBe(415);
  });

  it("register/verify forms: the sample is required; src must be data:; one sample field for Face", async () => {
    const s = await newSession("STUDENT");
    const multipart = new FormData();
    multipart.set("biometric_type", "Face");
    multipart.append("voice_base64", "AAAA");
    multipart.append("voice_base64", "AAAA");
    const two = await call("/biometrics/register", { token: s.access, body: multipart });
    expect(two.status).toBe(400);
    expect(two.body.bad_formatted_fields).toEqual(["voice_base64"]);
    const noSample = await call("/biometrics/register", { token: s.access, ...form({ biometric_type: "Face" }) });
    expect(noSample.status).toBe(400);
    expect(noSample.body.missing_required_fields).toEqual(["voice_base64"]);
    const url = await call("/biometrics/verify", { token: s.access, ...form({ biometric_type: "Face", src: "http://example.org/a.jpg" }) });
    expect(url.status).toBe(400);
    expect(url.body.bad_formatted_fields).toEqual(["src"]);
    const badType = await call("/biometrics/register", { token: s.access, ...form({ biometric_type: "Iris", voice_base64: "AAAA" }) });
    expect(badType.status).toBe(400);
    expect(badType.body.bad_formatted_fields).toEqual(["biometric_type"]);
  });

  // Found by the fuzz tests: base64 whose padding does not fit its length made atob throw (a 500) for
  // every modality. Now the documented 400 naming the field; padding that fits, or none, still decodes.
  it("base64 with padding of the wrong length is a 400 for pictures, clips and trajectories, not a 500", async () => {
    const s = await newSession("STUDENT");
    for (const bad of ["AAAAA=", "A=", "AAAAAA=A", "===="]) {
      for (const type of ["Face", "Voice", "Handwriting"]) {
        const res = await call("/biometrics/verify", { token: s.access, ...form({ biometric_type: type, voice_base64: bad }) });
        expect(res.status, `${type} ${bad}`).toBe(400);
        expect(expect400Shape(res.body).bad_formatted_fields, `${type} ${bad}`).toEqual(["voice_base64"]);
      }
      const face = await call("/biometrics/face_register", { token: s.access, json: { image: `data:image/png;base64,${bad}` } });
      expect(face.status, bad).toBe(400);
      expect(face.body.bad_formatted_fields).toEqual(["image"]);
    }
    // Decodable base64 (padded or not) gets past decoding: the picture itself is refused, not its encoding.
    for (const ok of ["AAAAAA==", "AAAAAA"]) {
      const res = await call("/biometrics/face_register", { token: s.access, json: { image: ok } });
      expect(res.status).toBe(400);
      expect(res.body.error_details.image[0]).not.toMatch(/base64/);
    }
  });
});

describe("list and unregister", () => {
  it("lists nothing, then Face; unregister removes it; a second unregister is 404", async () => {
    const s = await newSession("STUDENT");
    const empty = await call("/biometrics/list", { token: s.access });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ resource_name: "biometrics", resource_array: [], resource_dict: {} });
    await templatesOf(s.access).enrolFace(ownerOf(s.access), [unitVector(1)], FACE_MODEL_ID, 1000);
    const one = await call("/biometrics/list", { token: s.access });
    expect(one.body).toMatchObject({ resource_array: ["Face"], resource_dict: { Face: "active" } });
    // Another student of the same institution sees none of it.
    const other = await newSession("STUDENT");
    expect((await call("/biometrics/list", { token: other.access })).body.resource_array).toEqual([]);
    const del = await call("/biometrics/unregister", { token: s.access, json: { biometric_type: "Face" } });
    expect(del.status).toBe(200);
    expect((await call("/biometrics/list", { token: s.access })).body.resource_array).toEqual([]);
    const again = await call("/biometrics/unregister", { token: s.access, json: { biometric_type: "Face" } });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ resource_name: "biometric", resource_str: "Face" });
    const bad = await call("/biometrics/unregister", { token: s.access, json: { biometric_type: "Fingerprint" } });
    expect(bad.status).toBe(400);
  });
});

describe("GET /backend/biometrics/server_status", () => {
  it("says Face, Voice and Handwriting are available", async () => {
    const s = await newSession("STUDENT");
    const res = await call("/biometrics/server_status", { token: s.access });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource_name: "server_status", resource_dict: { Face: true, Voice: true, Handwriting: true } });
  });
});
