// The biometrics endpoints' contract without running the models: auth, validation, limits, list and
// unregister, the exam check of face_verify.
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as serverStatusRoute } from "../../../src/routes/biometrics/server-status";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { examWithEnrolment, ownerOf, templatesOf, unitVector } from "./fixtures";


describe("biometrics endpoints: who may call", () => {
  it("401 without a token, 403 for instructors", async () => {
    for (const [path, send] of [
      [faceRegisterRoute.path, () => api(faceRegisterRoute, { json: { image: "AAAA" } })],
      [faceVerifyRoute.path, () => api(faceVerifyRoute, { json: { image: "AAAA", exam_id: 1 } })],
      [listRoute.path, () => api(listRoute)],
      [unregisterRoute.path, () => api(unregisterRoute, { json: { biometric_type: "Face" } })],
      [serverStatusRoute.path, () => api(serverStatusRoute)],
      [registerRoute.path, () => api(registerRoute, { urlencoded: { biometric_type: "Face", voice_base64: "AAAA" } })],
      [verifyRoute.path, () => api(verifyRoute, { urlencoded: { biometric_type: "Face", voice_base64: "AAAA" } })],
    ] as const) {
      expect((await send()).status, path).toBe(401);
    }
    const instructor = await newSession("INSTRUCTOR");
    expect((await api(listRoute, { token: instructor.access })).status).toBe(403);
    expect((await api(faceRegisterRoute, { token: instructor.access, json: { image: "AAAA" } })).status).toBe(403);
  });
});

describe("biometrics endpoints: input", () => {
  it("face_register: missing image, blank, bad base64, URL instead of data", async () => {
    const s = await newSession("STUDENT");
    const missing = await api(faceRegisterRoute, { token: s.access, json: {} });
    expect(missing.status).toBe(400);
    expect(expect400Shape(bodyAt(missing, 400)).missing_required_fields).toEqual(["image"]);
    const blank = await api(faceRegisterRoute, { token: s.access, json: { image: "" } });
    expect(blank.status).toBe(400);
    expect(bodyAt(blank, 400).missing_required_fields).toEqual(["image"]);
    const bad = await api(faceRegisterRoute, { token: s.access, json: { image: "not base64 at all!" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(["image"]);
    const url = await api(faceRegisterRoute, { token: s.access, json: { image: "https://example.org/me.jpg" } });
    expect(url.status).toBe(400);
    expect(bodyAt(url, 400).error_details.image?.[0]).toMatch(/URLs are not fetched/);
    const huge = await api(faceRegisterRoute, { token: s.access, json: { images: ["A".repeat(22_500_000)] } });
    expect(huge.status).toBe(400);
    expect(bodyAt(huge, 400).error_details["images.0"]?.[0]).toMatch(/^image_too_large/);
    const tooMany = await api(faceRegisterRoute, { token: s.access, json: { images: Array(6).fill("AAAA") } });
    expect(tooMany.status).toBe(400);
    expect(bodyAt(tooMany, 400).bad_formatted_fields).toContain("images");
  });

  it("face_verify: exam_id required; unknown or unenrolled exam is 404", async () => {
    const s = await newSession("STUDENT");
    const noExam = await api(faceVerifyRoute, { token: s.access, unchecked: { image: "AAAA" } });
    expect(noExam.status).toBe(400);
    expect(bodyAt(noExam, 400).missing_required_fields).toEqual(["exam_id"]);
    const unknown = await api(faceVerifyRoute, { token: s.access, json: { image: "AAAA", exam_id: 99999999 } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ resource_name: "examination", resource_str: "99999999" });
    const notEnrolled = await examWithEnrolment(s.access, false);
    expect((await api(faceVerifyRoute, { token: s.access, json: { image: "AAAA", exam_id: notEnrolled } })).status).toBe(404);
  });

  it("413 above the size limit, 415 for other media types", async () => {
    const s = await newSession("STUDENT");
    const big = await api(faceVerifyRoute, {
      token: s.access,
      raw: { body: "x".repeat(23 * 1024 * 1024 + 1), contentType: "application/json" }, // LIMITS.faceVerify: one phone photo of up to 16 MiB in base64
    });
    expect(big.status).toBe(413);
    const wrongType = await api(faceRegisterRoute, { token: s.access, raw: { body: "image=AAAA", contentType: "text/plain" } });
    expect(wrongType.status).toBe(415);
    const jsonOnForm = await api(registerRoute, { token: s.access, unchecked: { biometric_type: "Face" } });
    expect(jsonOnForm.status).toBe(415);
  });

  it("register/verify forms: the sample is required; src must be data:; one sample field for Face", async () => {
    const s = await newSession("STUDENT");
    const two = await api(registerRoute, { token: s.access, form: { biometric_type: "Face", voice_base64: ["AAAA", "AAAA"] } });
    expect(two.status).toBe(400);
    expect(bodyAt(two, 400).bad_formatted_fields).toEqual(["voice_base64"]);
    const noSample = await api(registerRoute, { token: s.access, urlencoded: { biometric_type: "Face" } });
    expect(noSample.status).toBe(400);
    expect(bodyAt(noSample, 400).missing_required_fields).toEqual(["voice_base64"]);
    // Every missing field in one answer (a probe's empty form named only biometric_type, then the sample).
    for (const route of [registerRoute, verifyRoute]) {
      const empty = bodyAt(await api(route, { token: s.access, raw: { body: "", contentType: "application/x-www-form-urlencoded" } }), 400);
      expect(empty.missing_required_fields.sort()).toEqual(["biometric_type", "voice_base64"]);
      expect(empty.error_details.voice_base64).toEqual(["Send the sample in voice_base64 (base64) or src (data: URI)."]);
    }
    // A picture that is no base64 and a missing exam id, in one answer (a probe was told about the picture only after).
    const both = bodyAt(await api(faceVerifyRoute, { token: s.access, unchecked: { image: "!!not base64!!" } }), 400);
    expect(both).toMatchObject({ missing_required_fields: ["exam_id"], bad_formatted_fields: ["image"] });
    expect(both.error_details.image).toEqual(["Not valid base64."]);
    const blankAndBadType = bodyAt(
      await api(verifyRoute, { token: s.access, raw: { body: new URLSearchParams({ biometric_type: "Iris", voice_base64: " ", src: "" }), contentType: "application/x-www-form-urlencoded" } }),
      400,
    );
    expect(blankAndBadType).toMatchObject({ missing_required_fields: ["voice_base64"], bad_formatted_fields: ["biometric_type"] });
    const url = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Face", src: "http://example.org/a.jpg" } });
    expect(url.status).toBe(400);
    expect(bodyAt(url, 400).bad_formatted_fields).toEqual(["src"]);
    const badType = await api(registerRoute, {
      token: s.access,
      raw: { body: new URLSearchParams({ biometric_type: "Iris", voice_base64: "AAAA" }), contentType: "application/x-www-form-urlencoded" },
    });
    expect(badType.status).toBe(400);
    expect(bodyAt(badType, 400).bad_formatted_fields).toEqual(["biometric_type"]);
  });

  // Found by the fuzz tests: base64 whose padding does not fit its length made atob throw (a 500) for
  // every modality. Now the documented 400 naming the field; padding that fits, or none, still decodes.
  it("base64 with padding of the wrong length is a 400 for pictures, clips and trajectories, not a 500", async () => {
    const s = await newSession("STUDENT");
    for (const bad of ["AAAAA=", "A=", "AAAAAA=A", "===="]) {
      for (const type of ["Face", "Voice", "Handwriting"] as const) {
        const res = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: type, voice_base64: bad } });
        expect(res.status, `${type} ${bad}`).toBe(400);
        expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields, `${type} ${bad}`).toEqual(["voice_base64"]);
      }
      const face = await api(faceRegisterRoute, { token: s.access, json: { image: `data:image/png;base64,${bad}` } });
      expect(face.status, bad).toBe(400);
      expect(bodyAt(face, 400).bad_formatted_fields).toEqual(["image"]);
    }
    // Decodable base64 (padded or not) gets past decoding: the picture itself is refused, not its encoding.
    for (const ok of ["AAAAAA==", "AAAAAA"]) {
      const res = await api(faceRegisterRoute, { token: s.access, json: { image: ok } });
      expect(res.status).toBe(400);
      expect(bodyAt(res, 400).error_details.image?.[0]).not.toMatch(/base64/);
    }
  });
});

describe("list and unregister", () => {
  it("lists nothing, then Face; unregister removes it; a second unregister is 404", async () => {
    const s = await newSession("STUDENT");
    const empty = await api(listRoute, { token: s.access });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ resource_name: "biometrics", resource_array: [], resource_dict: {} });
    await templatesOf(s.access).enrolFace(ownerOf(s.access), [unitVector(1)], FACE_MODEL_ID, 1000);
    const one = await api(listRoute, { token: s.access });
    expect(one.body).toMatchObject({ resource_array: ["Face"], resource_dict: { Face: "active" } });
    // Another student of the same institution sees none of it.
    const other = await newSession("STUDENT");
    expect(bodyAt(await api(listRoute, { token: other.access }), 200).resource_array).toEqual([]);
    const del = await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    expect(del.status).toBe(200);
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_array).toEqual([]);
    const again = await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ resource_name: "biometric", resource_str: "Face" });
    const bad = await api(unregisterRoute, { token: s.access, unchecked: { biometric_type: "Fingerprint" } });
    expect(bad.status).toBe(400);
  });
});

describe("GET /backend/biometrics/server_status", () => {
  it("says Face, Voice and Handwriting are available", async () => {
    const s = await newSession("STUDENT");
    const res = await api(serverStatusRoute, { token: s.access });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource_name: "server_status", resource_dict: { Face: true, Voice: true, Handwriting: true } });
  });
});
