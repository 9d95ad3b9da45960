// The exam conditions (POST /exams/update_exam_condition): the instructor starts an exam, a verified student
// joins and leaves it. The status rules themselves are in ./lifecycle.ts.
import { and, eq, isNotNull, isNull, or } from "drizzle-orm";
import type { Db } from "../../db/client";
import { enrolments, exams } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Person } from "../../types";
import { type Exam, sessionOpen } from "./lifecycle";
import { instructorExam, studentEnrolment } from "./scope";

// Each write is conditional on what its decision rested on; when another request (the partner system deleting the
// exam or session, another start) changed that meanwhile, the write misses and the request decides again on the
// fresh row: a 404 for what is gone, never "done" for a write that did not happen.
const ATTEMPTS = 3;

export async function startExam(db: Db, instructor: Person, examId: number, now: number): Promise<{ exam: Exam; changed: boolean }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const exam = await instructorExam(db, instructor, examId, now);
    if (exam.status === "Completed") {
      throw AppError.badField("exam_id", "This examination has completed (its scheduled time plus duration has passed).");
    }
    if (exam.status === "Started") return { exam, changed: false };
    const started = await db
      .update(exams)
      .set({ status: "Started", startedAt: now, updatedAt: now })
      .where(and(eq(exams.id, exam.id), eq(exams.institutionId, instructor.institutionId), eq(exams.status, "Upcoming")))
      .returning({ id: exams.id });
    if (started.length > 0) return { exam: { ...exam, status: "Started", startedAt: now }, changed: true };
  }
  throw AppError.badField("exam_id", "The examination changed while starting it; try again.");
}

/**
 * Joining needs a started exam within its window, a session that is open (a partner session's `open_time`)
 * and a verified (by face or manually) enrolment.
 */
export async function joinExam(db: Db, student: Person, examId: number, now: number): Promise<{ exam: Exam; changed: boolean }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { exam, enrolment } = await studentEnrolment(db, student, examId, now);
    if (exam.status === "Upcoming") throw AppError.badField("exam_id", "This examination has not started yet.");
    if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
    if (!sessionOpen(enrolment, now)) {
      throw AppError.badField("exam_id", `Your session opens at ${new Date(enrolment.openTime!).toISOString()}.`);
    }
    if (enrolment.verificationStatus !== "Verified") {
      throw AppError.badField(
        "exam_id",
        "Your identity has not been verified for this examination; verify your face or request manual approval.",
      );
    }
    if (enrolment.joinedAt !== null && enrolment.leftAt === null) return { exam, changed: false };
    // Only while the session is still this student's and verified (not deleted or moved to another student), and
    // not joined meanwhile: of concurrent joins one joins, the others read that and answer "already".
    const joined = await db
      .update(enrolments)
      .set({ joinedAt: enrolment.joinedAt ?? now, leftAt: null })
      .where(
        and(
          eq(enrolments.id, enrolment.id),
          eq(enrolments.institutionId, student.institutionId),
          eq(enrolments.studentId, student.userId),
          eq(enrolments.verificationStatus, "Verified"),
          or(isNull(enrolments.joinedAt), isNotNull(enrolments.leftAt)),
        ),
      )
      .returning({ id: enrolments.id });
    if (joined.length > 0) return { exam, changed: true };
  }
  throw AppError.badField("exam_id", "Your enrolment changed while joining; try again.");
}

/** Leaving is allowed while the exam runs and after it completed, once joined. */
export async function leaveExam(db: Db, student: Person, examId: number, now: number): Promise<{ exam: Exam }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { exam, enrolment } = await studentEnrolment(db, student, examId, now);
    if (enrolment.joinedAt === null || enrolment.leftAt !== null) {
      throw AppError.badField("exam_id", "You have not joined this examination (or have already left it).");
    }
    // Only if still joined and not left: of concurrent leaves one leaves, the others read that and answer 400 (all three
    // of a probe's concurrent Leaves were 200).
    const left = await db
      .update(enrolments)
      .set({ leftAt: now })
      .where(
        and(
          eq(enrolments.id, enrolment.id),
          eq(enrolments.institutionId, student.institutionId),
          eq(enrolments.studentId, student.userId),
          isNotNull(enrolments.joinedAt),
          isNull(enrolments.leftAt),
        ),
      )
      .returning({ id: enrolments.id });
    if (left.length > 0) return { exam };
  }
  throw AppError.badField("exam_id", "Your enrolment changed while leaving; try again.");
}
