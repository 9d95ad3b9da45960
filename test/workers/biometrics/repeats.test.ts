// Repeated samples during exam monitoring (src/biometrics/repeats.ts): a frame or clip that is a copy of one sent
// earlier in the exam (a still picture looped through a virtual camera, a recording on a loop) is not judged but
// raised as `repeated_sample`; a copy within the retry grace is a client's resend and is judged as usual.
// Found by a black-box probe: a looped still picture passed as the student for minutes with no alert.
import { env, runInDurableObject } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { RecentSamples, REPEAT_MEMORY } from "../../../src/biometrics/repeats";
import { TemplateStore } from "../../../src/templates/store";
import { decisions, exams } from "../../../src/db/schema";
import type { Bindings } from "../../../src/env";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { imageBytesFromField } from "../../../src/services/biometrics/face";
import { audioBytesFromField } from "../../../src/services/biometrics/voice";
import { monitorFace } from "../../../src/services/monitoring/face";
import { monitorVoice } from "../../../src/services/monitoring/voice";
import type { Caller } from "../../../src/types";
import { api } from "../api";
import { newSession } from "../helpers";
import { db, examWithEnrolment, near, ownerOf, templatesOf, unitVector } from "./fixtures";

const img = inject("faceImages");
const voice = inject("signalSamples").voice;
const GRACE = REPEAT_MEMORY.resendGraceMs;

const callerOf = (token: string): Caller => {
  const o = ownerOf(token);
  return { userId: o.studentId, institutionId: o.institutionId, role: "STUDENT", institutionCode: "" };
};

describe("repeated samples in the template object", () => {
  it("flags a frame identical to one of the same exam sent earlier than the retry grace, and only in monitoring", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const owner = ownerOf(s.access);
    const v = unitVector(3);
    expect((await stub.enrolFace(owner, [v], FACE_MODEL_ID, 1000)).ok).toBe(true);
    const frame = near(v, 0.3, 5);
    const at = (now: number, examId = 7) => stub.verifyFace(owner, frame, FACE_MODEL_ID, "high", { examId, now });
    expect(await at(0)).not.toHaveProperty("repeatedAfterMs");
    expect(await at(2000)).not.toHaveProperty("repeatedAfterMs"); // a retry
    expect(await at(GRACE + 5000)).toMatchObject({ status: "match", repeatedAfterMs: GRACE + 5000 });
    expect(await at(GRACE + 6000, 8)).not.toHaveProperty("repeatedAfterMs"); // another exam
    expect(await stub.verifyFace(owner, frame, FACE_MODEL_ID, "high")).not.toHaveProperty("repeatedAfterMs"); // not monitoring
    expect(await at(GRACE + 7000)).toMatchObject({ repeatedAfterMs: GRACE + 7000 });
    // Remembered in the object's storage, not its memory: an object evicted while the student was idle (a probe found
    // that in a few seconds) still knows the frame. A store opened afresh on the same storage stands in for that.
    const survives = await runInDurableObject(stub, async (_o, state) => {
      const fresh = new RecentSamples(new TemplateStore(state.storage, env as unknown as Bindings));
      return fresh.check("face", 7, 10 * GRACE, frame);
    });
    expect(survives).toBe(10 * GRACE);
    // Deleting the face template forgets the frames too.
    expect(await stub.revoke(owner, "Face")).toBe(true);
    expect((await stub.enrolFace(owner, [v], FACE_MODEL_ID, 2000)).ok).toBe(true);
    expect(await at(2 * GRACE)).not.toHaveProperty("repeatedAfterMs");
  });
});

describe("copies of enrolment samples in the template object", () => {
  it("flags a registration picture sent again in every verification, until the template is replaced or deleted", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const owner = ownerOf(s.access);
    const [a, b, c] = [unitVector(11), near(unitVector(11), 0.2, 12), near(unitVector(11), 0.2, 13)];
    expect((await stub.enrolFace(owner, [a, b], FACE_MODEL_ID, 1000)).ok).toBe(true);
    // Outside monitoring too (face_verify, identification): the time since the registration.
    const verified = await stub.verifyFace(owner, a, FACE_MODEL_ID, "high");
    expect(verified).toMatchObject({ status: "match" });
    expect((verified as { repeatedAfterMs?: number }).repeatedAfterMs).toBeGreaterThan(0);
    expect(await stub.verifyFace(owner, b, FACE_MODEL_ID, "high", { examId: 7, now: 61_000 })).toMatchObject({ repeatedAfterMs: 60_000 });
    // A new capture of the same face is judged as usual.
    expect(await stub.verifyFace(owner, c, FACE_MODEL_ID, "high")).not.toHaveProperty("repeatedAfterMs");
    // A new registration replaces the digests: its own pictures are copies now, the old ones are not.
    expect((await stub.enrolFace(owner, [c, near(c, 0.2, 14)], FACE_MODEL_ID, 2000)).ok).toBe(true);
    expect(await stub.verifyFace(owner, a, FACE_MODEL_ID, "high")).not.toHaveProperty("repeatedAfterMs");
    expect(await stub.verifyFace(owner, c, FACE_MODEL_ID, "high")).toHaveProperty("repeatedAfterMs");
    // Deleting the template deletes them (nothing of a deleted template stays behind).
    expect(await stub.revoke(owner, "Face")).toBe(true);
    const left = await runInDurableObject(stub, async (_o, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM enrolment_digests").one().n);
    expect(left).toBe(0);
  });
});

describe("repeated samples through monitoring, with the real models", () => {
  it("raises repeated_sample for a looped frame and a looped clip, records the decision as flagged, judges a retry", { timeout: 120_000 }, async () => {
    if (!img.obama || !img.obama2 || !img.obama3) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    expect((await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2] } })).status).toBe(200);
    expect((await api(registerRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.enrol } })).status).toBe(201);
    const examId = await examWithEnrolment(s.access);
    const t0 = Date.now();
    await db().update(exams).set({ status: "Started", startedAt: t0 }).where(eq(exams.id, examId));
    const e = env as unknown as Bindings;
    const caller = callerOf(s.access);
    const base = { institutionId: caller.institutionId, studentId: caller.userId, examId, endpoint: "/biometrics/monitoring_face", requestId: "r", client: null };
    const frame = imageBytesFromField("image", img.obama3);
    const face = (now: number) => monitorFace(e, db(), caller, { examId, image: frame, decisionBase: { ...base, now } }, now);

    expect(await face(t0)).toMatchObject({ match: { outcome: "match" }, alerts: [] });
    expect(await face(t0 + 1000)).toMatchObject({ match: { outcome: "match" }, alerts: [] }); // a retry
    const looped = await face(t0 + GRACE + 10_000);
    expect(looped).toMatchObject({ match: { outcome: "repeated", repeatedAfterMs: GRACE + 10_000 }, alerts: [{ reason: "repeated_sample", detail: "face" }] });

    const clip = audioBytesFromField("voice_base64", voice.same);
    const speak = (now: number) => monitorVoice(e, db(), caller, { examId, clip, field: "voice_base64", runningProcesses: [], decisionBase: { ...base, endpoint: "/biometrics/monitoring", now } }, now);
    expect(await speak(t0)).toMatchObject({ outcome: "match", alerts: [] });
    expect(await speak(t0 + GRACE + 10_000)).toMatchObject({ outcome: "repeated", alerts: [{ reason: "repeated_sample", detail: "voice" }] });

    const flagged = await db()
      .select()
      .from(decisions)
      .where(and(eq(decisions.examId, examId), eq(decisions.reason, "repeated_sample")));
    expect(flagged.map((d) => [d.modality, d.outcome]).sort()).toEqual([
      ["face", "flagged"],
      ["voice", "flagged"],
    ]);
  });
});
