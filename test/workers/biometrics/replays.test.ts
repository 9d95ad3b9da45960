// Replays of enrolment samples at verification (src/biometrics/repeats.ts REPLAY_LIMITS): a registered signature
// or a training typing sent again is refused as `repeated_sample` (400, recorded as a decision) instead of being
// accepted as the best match there is; new samples of the same person are judged as before. Found by a black-box
// probe: exact and jittered copies were accepted every time, scoring better than fresh samples.
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { decisions } from "../../../src/db/schema";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as testRoute } from "../../../src/routes/biometrics/interaction-test";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { db, examWithEnrolment, ownerOf } from "./fixtures";

const { handwriting, keystroke, voice } = inject("signalSamples");
const img = inject("faceImages");

const refusedAsCopies = async (token: string, modality: "handwriting" | "keystroke" | "face" | "voice") =>
  db()
    .select({ outcome: decisions.outcome })
    .from(decisions)
    .where(and(eq(decisions.studentId, ownerOf(token).studentId), eq(decisions.modality, modality), eq(decisions.reason, "repeated_sample")));

describe("replayed enrolment samples", () => {
  it("handwriting: a registered signature sent again, moved or with a little noise, is refused; a new one is judged", async () => {
    const s = await newSession("STUDENT");
    const reg = await api(registerRoute, { token: s.access, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(JSON.stringify(handwriting.enrol)) } });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const verify = (text: string) => api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(text) } });
    const moved = handwriting.enrol[2]!
      .trim()
      .split(/\r?\n/)
      .map((l, i) => l.trim().split(/\s+/).map(Number).map((v, j) => (j === 1 || j === 2 ? v * 1.3 + 40 + (i % 3) * 0.5 : v)).join(" "))
      .join("\n");
    for (const copy of [handwriting.enrol[0]!, moved]) {
      const r = await verify(copy);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(bodyAt(r, 400).error_details.voice_base64?.[0]).toMatch(/^repeated_sample: the signature is a copy of one of the registered signatures/);
    }
    const fresh = await verify(handwriting.genuine);
    expect(fresh.status).toBe(200);
    expect(bodyAt(fresh, 200).resource_bool).toBe(true);
    expect(await refusedAsCopies(s.access, "handwriting")).toEqual([{ outcome: "quality" }, { outcome: "quality" }]);
  });

  it("keystroke: a training typing sent again, also with every timing moved by a millisecond, is refused; new typings are judged", async () => {
    const s = await newSession("STUDENT");
    expect((await api(trainRoute, { token: s.access, json: { training_dataset: keystroke.train } })).status).toBe(200);
    const test = (testing_dataset: string) => api(testRoute, { token: s.access, json: { testing_dataset } });
    const rows = keystroke.train.trim().split("\n");
    const kept = rows[rows.length - 3]!; // the first 20 % are warm-up, left out of the model
    const jittered = kept.split(",").map((v, i) => (i < 30 ? String(Number(v) + (i % 2 ? 1 : -1)) : v)).join(",");
    for (const copy of [kept, jittered]) {
      const r = await test(copy);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(bodyAt(r, 400).error_details.testing_dataset?.[0]).toMatch(/^repeated_sample: the typing is a copy of one of the training typings/);
    }
    // One copy among new typings is named by its position.
    const mixed = await test([...keystroke.genuine.trim().split("\n").slice(0, 2), kept].join("\n"));
    expect(bodyAt(mixed, 400).error_details.testing_dataset?.[0]).toMatch(/^repeated_sample: typing 3 is a copy/);
    const fresh = await test(keystroke.genuine);
    expect(fresh.status).toBe(200);
    expect(bodyAt(fresh, 200).resource_bool).toBe(true);
    expect((await refusedAsCopies(s.access, "keystroke")).length).toBe(3);
  });

  it("face and voice: a registration picture or clip sent to verification is refused; a new one is judged", { timeout: 90_000 }, async () => {
    const s = await newSession("STUDENT");
    const examId = await examWithEnrolment(s.access);
    expect((await api(registerRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.enrol } })).status).toBe(201);
    const clipAgain = await api(verifyRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.enrol[1]! } });
    expect(bodyAt(clipAgain, 400).error_details.voice_base64?.[0]).toMatch(/^repeated_sample: the clip is one of those the voice model was registered with/);
    expect(bodyAt(await api(verifyRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.same } }), 200).is_match).toBe(true);
    expect((await refusedAsCopies(s.access, "voice")).length).toBe(1);
    if (!img.obama || !img.obama2 || !img.obama3) return; // ../shared/data not present
    expect((await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2] } })).status).toBe(200);
    const pictureAgain = await api(faceVerifyRoute, { token: s.access, json: { image: img.obama2, exam_id: examId } });
    expect(bodyAt(pictureAgain, 400).error_details.image?.[0]).toMatch(/^repeated_sample: the picture is one of those the face model was registered with/);
    expect(bodyAt(await api(faceVerifyRoute, { token: s.access, json: { image: img.obama3, exam_id: examId } }), 200).is_match).toBe(true);
    expect((await refusedAsCopies(s.access, "face")).length).toBe(1);
  });

  it("enrolment: the same picture or recording sent twice counts once, and says so", { timeout: 60_000 }, async () => {
    const s = await newSession("STUDENT");
    const twice = await api(registerRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: [voice.enrol[0]!, voice.enrol[0]!] } });
    expect(twice.status, JSON.stringify(twice.body)).toBe(400);
    expect(bodyAt(twice, 400).error_details.voice_base64?.[0]).toMatch(/^repeated_sample: clips 1 and 2 are the same recording/);
    if (!img.obama || !img.obama2) return; // ../shared/data not present
    const face = await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama, img.obama2] } });
    expect(face.status, JSON.stringify(face.body)).toBe(200);
    expect(bodyAt(face, 200).extra_details).toMatch(/^2 of 3 pictures used; left out images\.1: repeated_sample/);
  });
});
