// SECURITY.md "Attacker with a student account": once verified for an exam in progress, the student's
// templates are locked until it ends, so that nobody can swap in another face (or delete the template to
// silence monitoring) in the middle of the exam.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { exams } from "../../../src/db/schema";
import { ownerOf, templatesOf, unitVector } from "../biometrics/fixtures";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as interactionTrainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as walletSendRoute } from "../../../src/routes/biometrics/wallet-send";
import { api } from "../api";
import { newSession } from "../helpers";
import { condition, db, startedExamWithStudent } from "../exams/support";

describe("templates during an exam", () => {
  it("cannot be replaced, deleted or restored while a verified exam is in progress, even after leaving it", async () => {
    const { student, examId } = await startedExamWithStudent();
    await templatesOf(student.access).enrolFace(ownerOf(student.access), [unitVector(21)], FACE_MODEL_ID, Date.now());
    const attempts = () => [
      api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } }),
      api(faceRegisterRoute, { token: student.access, json: { images: [] } }),
      api(registerRoute, { token: student.access, urlencoded: { biometric_type: "Face", voice_base64: "AAAA" } }),
      api(interactionTrainRoute, { token: student.access, json: { training_dataset: [] } }),
      api(walletSendRoute, { token: student.access, json: {} }),
    ];
    for (const res of await Promise.all(attempts())) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ message: expect.stringContaining(`examination ${examId}`) });
    }
    expect((await condition(student.access, examId, "Leave")).status).toBe(200);
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(403);
    expect(await templatesOf(student.access).list(ownerOf(student.access), {})).toHaveLength(1);

    // Once the exam's window is over, the templates are the student's to change again.
    await db().update(exams).set({ scheduledAt: Date.now() - 3 * 3600_000, durationMinutes: 60 }).where(eq(exams.id, examId));
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(200);
  });

  it("are unaffected for students without an exam in progress", async () => {
    const s = await newSession("STUDENT");
    await templatesOf(s.access).enrolFace(ownerOf(s.access), [unitVector(22)], FACE_MODEL_ID, Date.now());
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } })).status).toBe(200);
  });
});
