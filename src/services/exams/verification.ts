// Identity verification of an enrolment: by a face match (services/biometrics) or by the instructor's manual
// approval, which a student may request.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { enrolments, manualApprovalRequests, users } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Person } from "../../types";
import type { VerificationStatus } from "./lifecycle";
import { instructorExam, studentEnrolment } from "./scope";
import { type DecisionInsert, insertDecision } from "../decisions/record";

const userNotFound = (email: string) => AppError.notFound("user", email, "User not found");

/**
 * Marks an enrolment verified. Face biometrics calls this with `by: "face"` after a successful 1:1
 * verification; manual approval with `by: "manual"`. Open manual-approval requests are closed.
 * Returns false when the student is not enrolled in the exam (nothing changes then). `decisions`: the records
 * of the automated decisions that verified the student (docs/decisions.md), written in the same batch.
 */
export async function markVerified(
  db: Db,
  scope: { institutionId: number; examId: number; studentId: number },
  by: "face" | "manual",
  now: number,
  decidedBy: number | null = null,
  decisions: DecisionInsert[] = [],
): Promise<boolean> {
  const [updated] = await db.batch([
    db
      .update(enrolments)
      .set({ verificationStatus: "Verified", verifiedAt: now, verifiedBy: by })
      .where(
        and(
          eq(enrolments.institutionId, scope.institutionId),
          eq(enrolments.examId, scope.examId),
          eq(enrolments.studentId, scope.studentId),
        ),
      )
      .returning({ id: enrolments.id }),
    db
      .update(manualApprovalRequests)
      .set({ status: "Approved", decidedAt: now, decidedBy })
      .where(
        and(
          eq(manualApprovalRequests.institutionId, scope.institutionId),
          eq(manualApprovalRequests.examId, scope.examId),
          eq(manualApprovalRequests.studentId, scope.studentId),
          eq(manualApprovalRequests.status, "Requested"),
        ),
      ),
    ...decisions.map((row) => insertDecision(db, row)),
  ]);
  return updated.length > 0;
}

export async function verificationStatus(db: Db, student: Person, examId: number, now: number): Promise<VerificationStatus> {
  const { enrolment } = await studentEnrolment(db, student, examId, now);
  return enrolment.verificationStatus;
}

export async function requestManualApproval(
  db: Db,
  student: Person,
  input: { examId: number; approvalType: string },
  now: number,
): Promise<void> {
  const { exam, enrolment } = await studentEnrolment(db, student, input.examId, now);
  if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
  if (enrolment.verificationStatus === "Verified") {
    throw AppError.badField("exam_id", "You are already verified for this examination.");
  }
  if (enrolment.verificationStatus === "Requested Manual Approval") {
    throw AppError.alreadyExists("exam_id", "A manual approval request for this examination is already pending.");
  }
  // One batch: the enrolment moves from Pending, and the request row is written only if this batch moved
  // it (no pending request yet), so concurrent requests leave one row and one of them succeeds.
  const pending = db
    .select({ id: manualApprovalRequests.id })
    .from(manualApprovalRequests)
    .where(
      and(
        eq(manualApprovalRequests.examId, exam.id),
        eq(manualApprovalRequests.studentId, student.userId),
        eq(manualApprovalRequests.status, "Requested"),
      ),
    );
  const [moved] = await db.batch([
    db
      .update(enrolments)
      .set({ verificationStatus: "Requested Manual Approval" })
      .where(
        and(
          eq(enrolments.id, enrolment.id),
          eq(enrolments.institutionId, student.institutionId),
          eq(enrolments.verificationStatus, "Pending"),
        ),
      )
      .returning({ id: enrolments.id }),
    db.run(sql`INSERT INTO ${manualApprovalRequests} (institution_id, exam_id, student_id, approval_type, status, created_at)
      SELECT ${student.institutionId}, ${exam.id}, ${student.userId}, ${input.approvalType}, 'Requested', ${now}
      WHERE NOT EXISTS ${pending}
        AND EXISTS (SELECT 1 FROM ${enrolments} WHERE ${enrolments.id} = ${enrolment.id} AND ${enrolments.verificationStatus} = 'Requested Manual Approval')`),
  ]);
  if (moved.length === 0) {
    // Another request (or a verification) came first: answer as if this one had read that.
    const { enrolment: latest } = await studentEnrolment(db, student, input.examId, now);
    if (latest.verificationStatus === "Verified") throw AppError.badField("exam_id", "You are already verified for this examination.");
    throw AppError.alreadyExists("exam_id", "A manual approval request for this examination is already pending.");
  }
}

/** The instructor approves an enrolled student (with or without a pending request). */
export async function approveStudent(
  db: Db,
  instructor: Person,
  input: { examId: number; email: string },
  now: number,
): Promise<{ changed: boolean }> {
  const exam = await instructorExam(db, instructor, input.examId, now);
  const [row] = await db
    .select({ studentId: enrolments.studentId, status: enrolments.verificationStatus })
    .from(enrolments)
    .innerJoin(users, eq(users.id, enrolments.studentId))
    .where(
      and(
        eq(enrolments.examId, exam.id),
        eq(enrolments.institutionId, instructor.institutionId),
        eq(users.institutionId, instructor.institutionId),
        eq(users.email, input.email),
      ),
    )
    .limit(1);
  if (!row) throw userNotFound(input.email);
  if (row.status === "Verified") return { changed: false };
  await markVerified(db, { institutionId: instructor.institutionId, examId: exam.id, studentId: row.studentId }, "manual", now, instructor.userId);
  return { changed: true };
}
