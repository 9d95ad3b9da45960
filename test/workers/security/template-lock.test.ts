// SECURITY.md "Attacker with a student account": once verified for an exam in progress, the student's
// templates are locked until it ends, so that nobody can swap in another face (or delete the template to
// silence monitoring) in the middle of the exam.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { enrolments, exams } from "../../../src/db/schema";
import { route as contestRoute } from "../../../src/routes/student/contest-decision";
import { route as resolveRoute } from "../../../src/routes/instructor/resolve-decision";
import { markVerified } from "../../../src/services/exams/verification";
import { decide, idsOf } from "../decisions/support";
import { ownerOf, templatesOf, unitVector } from "../biometrics/fixtures";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as interactionTrainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as walletSendRoute } from "../../../src/routes/biometrics/wallet-send";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { addExam, approve, condition, db, enrol, startedExamWithStudent } from "../exams/support";

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

  it("are held by the face match that verifies, in the student's object: a change racing the verification is refused", async () => {
    // A probe sent face_register a few milliseconds after face_verify: its lock check ran before the verification was
    // written, and it replaced the face just verified (3 of 3 tries). Here the database says Pending, as that check saw.
    const { student, examId } = await startedExamWithStudent();
    const ids = idsOf(student.access);
    await db().update(enrolments).set({ verificationStatus: "Pending", verifiedBy: null, verifiedAt: null }).where(and(eq(enrolments.examId, examId), eq(enrolments.studentId, ids.studentId)));
    const templates = templatesOf(student.access);
    const owner = ownerOf(student.access);
    await templates.enrolFace(owner, [unitVector(25)], FACE_MODEL_ID, Date.now());
    const hold = { examId, until: Date.now() + 3600_000 };
    // A new picture of the same face: close to the template, not its registration sample (that is a copy, never a match).
    const again = (() => {
      const v = unitVector(25).map((x, i) => x + 0.3 * unitVector(99)[i]!);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    })();
    // A mismatch holds nothing; the match does.
    expect((await templates.verifyFace(owner, unitVector(26), FACE_MODEL_ID, "high", undefined, hold)).status).toBe("no_match");
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Interaction" } })).status).toBe(404);
    expect((await templates.verifyFace(owner, again, FACE_MODEL_ID, "high", undefined, hold)).status).toBe("match");
    const late = await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } });
    expect(late.status).toBe(403);
    expect(late.body).toEqual({ message: expect.stringContaining(`examination ${examId}`) });
    // Awaited in a try (an RPC promise handed to expect().rejects was reported as an unhandled rejection).
    let refused = "resolved";
    try {
      await templates.enrolFace(owner, [unitVector(27)], FACE_MODEL_ID, Date.now());
    } catch (e) {
      refused = (e as Error).message;
    }
    expect(refused).toMatch(/^templates_held: /);
    expect(await templates.list(owner, {})).toHaveLength(1);
    // A verification that was not written (the enrolment had gone) releases its hold; so does the exam's end.
    await templates.releaseHold(owner, examId);
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(200);
    await templates.enrolFace(owner, [unitVector(25)], FACE_MODEL_ID, Date.now());
    expect((await templates.verifyFace(owner, again, FACE_MODEL_ID, "high", undefined, { examId, until: Date.now() - 1 })).status).toBe("match");
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(200);
  });

  it("stay locked after an instructor overturns the student's face verification (the person found is still in the exam)", async () => {
    const { teacher, student, examId } = await startedExamWithStudent();
    await templatesOf(student.access).enrolFace(ownerOf(student.access), [unitVector(23)], FACE_MODEL_ID, Date.now());
    const ids = idsOf(student.access);
    // Verified by a face match, not by the approval the helper gave.
    await db()
      .update(enrolments)
      .set({ verificationStatus: "Pending", verifiedBy: null, verifiedAt: null })
      .where(and(eq(enrolments.examId, examId), eq(enrolments.studentId, ids.studentId)));
    const id = await decide(student.access, { examId, outcome: "accepted", score: 0.7 });
    expect(await markVerified(db(), { ...ids, examId }, Date.now())).toBe("verified");
    bodyAt(await api(contestRoute, { token: student.access, json: { decision_id: id, text: "It was me." } }), 200);
    bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "overturned", reason: "Not the student." } }), 200);
    // Pending again, but a probe then registered another face (200) and monitoring took it for the student.
    for (const res of [
      await api(faceRegisterRoute, { token: student.access, json: { images: [] } }),
      await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } }),
    ]) {
      expect(res.status).toBe(403);
    }
    expect(await templatesOf(student.access).list(ownerOf(student.access), {})).toHaveLength(1);
  });

  it("are locked from an overturn made before the exam starts, until it ends (a probe registered another face then)", async () => {
    const teacher = await newSession("INSTRUCTOR");
    const student = await newSession("STUDENT");
    const examId = await addExam(teacher.access);
    await enrol(teacher.access, examId, [student.user.email]);
    await templatesOf(student.access).enrolFace(ownerOf(student.access), [unitVector(24)], FACE_MODEL_ID, Date.now());
    const ids = idsOf(student.access);
    const id = await decide(student.access, { examId, outcome: "accepted", score: 0.7 });
    expect(await markVerified(db(), { ...ids, examId }, Date.now())).toBe("verified");
    bodyAt(await api(contestRoute, { token: student.access, json: { decision_id: id, text: "It was me." } }), 200);
    bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "overturned", reason: "Not the student." } }), 200);
    const swap = await api(faceRegisterRoute, { token: student.access, json: { images: [] } });
    expect(swap.status).toBe(403);
    expect(swap.body).toEqual({ message: expect.stringContaining(`until examination ${examId} ends`) });
    // Once its window is over, the templates are the student's again.
    await db().update(exams).set({ scheduledAt: Date.now() - 3 * 3600_000, durationMinutes: 60 }).where(eq(exams.id, examId));
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(200);
  });

  it("are not held by an instructor's approval alone, nor for more than a sitting (a probe's rogue instructor froze a stranger's for two years)", async () => {
    // Enrolled, approved and started by an instructor; the student never joined, verified or sent anything.
    const teacher = await newSession("INSTRUCTOR");
    const student = await newSession("STUDENT");
    const examId = await addExam(teacher.access);
    await enrol(teacher.access, examId, [student.user.email]);
    await approve(teacher.access, examId, student.user.email);
    expect((await condition(teacher.access, examId, "Start")).status).toBe(200);
    await db().update(exams).set({ scheduledAt: Date.now() + 700 * 86_400_000 }).where(eq(exams.id, examId));
    await templatesOf(student.access).enrolFace(ownerOf(student.access), [unitVector(26)], FACE_MODEL_ID, Date.now());
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(200);

    // Once the student joins, the approval holds their templates: for one sitting (24 h) from the verification at most.
    await templatesOf(student.access).enrolFace(ownerOf(student.access), [unitVector(26)], FACE_MODEL_ID, Date.now());
    expect((await condition(student.access, examId, "Join")).status).toBe(200);
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(403);
    const ids = idsOf(student.access);
    await db().update(enrolments).set({ verifiedAt: Date.now() - 25 * 3600_000 }).where(and(eq(enrolments.examId, examId), eq(enrolments.studentId, ids.studentId)));
    expect((await api(unregisterRoute, { token: student.access, json: { biometric_type: "Face" } })).status).toBe(200);
  });

  it("are unaffected for students without an exam in progress", async () => {
    const s = await newSession("STUDENT");
    await templatesOf(s.access).enrolFace(ownerOf(s.access), [unitVector(22)], FACE_MODEL_ID, Date.now());
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } })).status).toBe(200);
  });
});
