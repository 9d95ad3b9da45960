// Security levels (issue 17): the exam's level, else the institution's, else `high`, picks the threshold every
// biometric decision is taken at; the instructor chooses an exam's level through the API.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FACE_OPERATING_POINTS } from "../../../src/biometrics/face/operating-points";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { institutions } from "../../../src/db/schema";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as updateExamDetails } from "../../../src/routes/instructor/update-exam-details";
import { studentEnrolment } from "../../../src/services/exams/scope";
import { api, bodyAt } from "../api";
import { ownerOf, templatesOf, unitVector } from "../biometrics/fixtures";
import { newSession } from "../helpers";
import { addExam, db, enrol, examBody, instructorExamView, newInstitution } from "./support";

/** A unit vector whose cosine with `v` is exactly `c`. */
function atCosine(v: number[], c: number, seed: number): number[] {
  const r = unitVector(seed);
  const along = r.reduce((s, x, i) => s + x * v[i]!, 0);
  const ortho = r.map((x, i) => x - along * v[i]!);
  const n = Math.hypot(...ortho);
  return v.map((x, i) => c * x + Math.sqrt(1 - c * c) * (ortho[i]! / n));
}

describe("security levels", () => {
  it("an exam's level is chosen by its instructor, shown to them, and cleared back to the institution's", async () => {
    const teacher = await newSession("INSTRUCTOR");
    const examId = await addExam(teacher.access, { security_level: "standard" });
    expect(await instructorExamView(teacher.access, examId)).toMatchObject({ security_level: "standard" });
    const keep = await api(updateExamDetails, { token: teacher.access, json: { exam_id: examId, ...examBody() } });
    expect(keep.status, JSON.stringify(keep.body)).toBe(200);
    expect(await instructorExamView(teacher.access, examId)).toMatchObject({ security_level: "standard" });
    bodyAt(await api(updateExamDetails, { token: teacher.access, json: { exam_id: examId, ...examBody(), security_level: null } }), 200);
    expect(await instructorExamView(teacher.access, examId)).toMatchObject({ security_level: null });
    const bad = await api(addExamRoute, { token: teacher.access, unchecked: { ...examBody(), security_level: "low" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toContain("security_level");
  });

  it("the exam's level, else the institution's, else high", async () => {
    const inst = await newInstitution();
    const teacher = await newSession("INSTRUCTOR", inst.code);
    const student = await newSession("STUDENT", inst.code);
    const inherits = await addExam(teacher.access);
    const ownHigh = await addExam(teacher.access, { security_level: "high" });
    for (const id of [inherits, ownHigh]) await enrol(teacher.access, id, [student.user.email]);
    const person = { userId: ownerOf(student.access).studentId, institutionId: inst.id };
    const levelOf = async (examId: number) => (await studentEnrolment(db(), person, examId, Date.now())).securityLevel;
    expect(await levelOf(inherits)).toBe("high");
    await db().update(institutions).set({ securityLevel: "standard" }).where(eq(institutions.id, inst.id));
    expect(await levelOf(inherits)).toBe("standard");
    expect(await levelOf(ownHigh)).toBe("high");
  });

  it("the template store decides at the level's threshold and says which", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const owner = ownerOf(s.access);
    const v = unitVector(4242);
    await stub.enrolFace(owner, [v], FACE_MODEL_ID, 1000);
    // Between the two thresholds: a match at `standard`, not at `high`.
    const { high, standard } = FACE_OPERATING_POINTS;
    const probe = atCosine(v, (high.threshold + standard.threshold) / 2, 7);
    expect(await stub.verifyFace(owner, probe, FACE_MODEL_ID, "standard")).toMatchObject({ status: "match", threshold: standard.threshold, level: "standard" });
    expect(await stub.verifyFace(owner, probe, FACE_MODEL_ID, "high")).toMatchObject({ status: "no_match", threshold: high.threshold, level: "high" });
  });
});
