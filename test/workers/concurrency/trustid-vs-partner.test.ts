// TRUSTID actions racing the partner system's deletes (found by a black-box probe): a student's Join against the
// deletion of their session, an instructor's Start or course sync against the deletion of the exam. Each write is
// conditional on the row it acts on (src/services/exams/conditions.ts, roster.ts), so the two requests never both
// report success, a refused request writes nothing, and nobody gets a 5xx.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { enrolments, exams, users } from "../../../src/db/schema";
import { AppError } from "../../../src/lib/errors";
import { joinExam, startExam } from "../../../src/services/exams/conditions";
import { enrolStudents } from "../../../src/services/exams/roster";
import { deleteExam } from "../../../src/services/partner/exams";
import { PartnerError } from "../../../src/services/partner/errors";
import { createSession, deleteSession } from "../../../src/services/partner/sessions";
import { db, newInstitution } from "../exams/support";

const ROUNDS = 8;

async function world(status: "Upcoming" | "Started") {
  const inst = await newInstitution();
  const tag = crypto.randomUUID().slice(0, 8);
  const [teacher, student] = await db()
    .insert(users)
    .values([
      { institutionId: inst.id, email: `t.${tag}@example.org`, name: "T", surname: "T", role: "INSTRUCTOR" as const, passwordHash: "x", createdAt: Date.now() },
      { institutionId: inst.id, email: `s.${tag}@example.org`, name: "S", surname: "S", role: "STUDENT" as const, passwordHash: "x", createdAt: Date.now() },
    ])
    .returning({ id: users.id });
  const now = Date.now();
  const [exam] = await db()
    .insert(exams)
    .values({
      institutionId: inst.id,
      instructorId: teacher!.id,
      name: "Race",
      examType: "Written",
      durationMinutes: 60,
      scheduledAt: now - (status === "Started" ? 60_000 : -3_600_000),
      privacyPolicy: "",
      status,
      startedAt: status === "Started" ? now - 60_000 : null,
      partnerStatus: status === "Started" ? "open" : "draft",
      createdAt: now,
    })
    .returning({ id: exams.id });
  const [session] = await db()
    .insert(enrolments)
    .values({ institutionId: inst.id, examId: exam!.id, studentId: student!.id, verificationStatus: "Verified", verifiedAt: now, verifiedBy: "manual", createdAt: now })
    .returning({ id: enrolments.id });
  return {
    scope: { institutionId: inst.id },
    teacher: { userId: teacher!.id, institutionId: inst.id },
    student: { userId: student!.id, institutionId: inst.id },
    examId: exam!.id,
    sessionId: session!.id,
  };
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof AppError ? `app ${e.status}` : e instanceof PartnerError ? `partner ${e.status}` : `crash ${String(e)}`),
  );

describe("TRUSTID writes against partner deletes", () => {
  it("a Join and the deletion of that session: never both succeed; a lost Join is a 404", async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const w = await world("Started");
      const [join, del] = await Promise.all([
        outcome(joinExam(db(), w.student, w.examId, Date.now())),
        outcome(deleteSession(db(), w.scope, String(w.examId), String(w.sessionId), Date.now())),
      ]);
      const left = await db().select().from(enrolments).where(eq(enrolments.id, w.sessionId));
      if (join === "ok") {
        expect(del).toBe("partner 422"); // "can not delete a session in progress"
        expect(left[0]?.joinedAt).not.toBeNull();
      } else {
        expect([join, del]).toEqual(["app 404", "ok"]);
        expect(left).toEqual([]);
      }
    }
  });

  it("a Start and the deletion of that exam: never both succeed; a lost Start is a 404", async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const w = await world("Upcoming");
      const [start, del] = await Promise.all([
        outcome(startExam(db(), w.teacher, w.examId, Date.now())),
        outcome(deleteExam(db(), w.scope, String(w.examId), Date.now())),
      ]);
      const left = await db().select({ status: exams.status }).from(exams).where(eq(exams.id, w.examId));
      if (start === "ok") {
        expect(del).toBe("partner 422"); // "can not delete an exam in progress"
        expect(left).toEqual([{ status: "Started" }]);
      } else {
        expect([start, del]).toEqual(["app 404", "ok"]);
        expect(left).toEqual([]);
      }
    }
  });

  it("a partner session created while the exam is deleted: a 201 before the delete, else the exam's 404, never a 5xx", async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const w = await world("Upcoming");
      const email = `p.${crypto.randomUUID().slice(0, 8)}@example.org`;
      const [created, del] = await Promise.all([
        outcome(createSession(db(), w.scope, String(w.examId), { email }, Date.now(), 24)),
        outcome(deleteExam(db(), w.scope, String(w.examId), Date.now())),
      ]);
      expect(del).toBe("ok");
      expect(["ok", "partner 404"]).toContain(created);
    }
  });

  it("a course sync into an exam deleted meanwhile is a 404 that creates no account", async () => {
    const w = await world("Upcoming");
    await db().delete(enrolments).where(eq(enrolments.examId, w.examId));
    await db().delete(exams).where(eq(exams.id, w.examId));
    const email = `new.${crypto.randomUUID().slice(0, 8)}@example.org`;
    // The exam as the instructor's request read it, before the partner system deleted it.
    const gone = enrolStudents(db(), { id: w.examId, institutionId: w.scope.institutionId }, [{ email }], Date.now());
    expect(await outcome(gone)).toBe("app 404");
    expect(await db().select().from(users).where(eq(users.email, email))).toEqual([]);
  });
});
