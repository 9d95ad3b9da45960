// Identity verification of an enrolment: by a face match (services/biometrics) or by the instructor's manual
// approval, which a student may request.
import { and, eq, inArray, isNotNull, ne, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decisions, enrolments, manualApprovalRequests, users } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Bindings } from "../../env";
import { ownerOf, templatesOf } from "../../templates/client";
import type { Caller, Person } from "../../types";
import type { HoldOnMatch } from "../../templates/holds";
import { type Exam, effectiveStatus, examEndsAt, type VerificationStatus } from "./lifecycle";
import { examNotFound, faceVerificationWithdrawn, instructorExam, studentEnrolment } from "./scope";
import { type DecisionInsert, insertDecision } from "../decisions/record";

const userNotFound = (email: string) => AppError.notFound("user", email, "User not found");

type EnrolmentScope = { institutionId: number; examId: number; studentId: number };

const enrolmentOf = (scope: EnrolmentScope) =>
  and(eq(enrolments.institutionId, scope.institutionId), eq(enrolments.examId, scope.examId), eq(enrolments.studentId, scope.studentId));

const closeOpenRequests = (db: Db, scope: EnrolmentScope, now: number, decidedBy: number | null, onlyIf?: SQL) =>
  db
    .update(manualApprovalRequests)
    .set({ status: "Approved", decidedAt: now, decidedBy })
    .where(
      and(
        eq(manualApprovalRequests.institutionId, scope.institutionId),
        eq(manualApprovalRequests.examId, scope.examId),
        eq(manualApprovalRequests.studentId, scope.studentId),
        eq(manualApprovalRequests.status, "Requested"),
        onlyIf,
      ),
    );

/** The reason of an accepted face match's record when the match did not verify the student (faceVerificationWithdrawn). */
export const VERIFICATION_WITHDRAWN_REASON = "verification_withdrawn";

export const FACE_VERIFICATION_WITHDRAWN =
  "An instructor found an earlier face verification of yours in this exam wrong, so a face match cannot verify you again in this exam: ask your instructor for manual approval (request_manual_approval).";

/**
 * What a face match verifying the student for `exam` holds in their template object (src/templates/holds.ts): the
 * templates, when the exam is in progress, for HOLD_MS (or until the exam's end, if sooner): long enough for any
 * template change that passed the lock check before the verification was written to reach the object, after which
 * the lock itself (scope.ts examHoldingTemplates) answers, and follows the exam (ended early, deleted, the session
 * moved: a probe's day-long hold outlived all three). Nothing before the exam starts, as the lock.
 */
export function holdFor(exam: Pick<Exam, "id" | "status" | "scheduledAt" | "durationMinutes" | "endsAt" | "partnerStatus">, now: number): HoldOnMatch | undefined {
  return effectiveStatus(exam, now) === "Started" ? { examId: exam.id, until: Math.min(examEndsAt(exam), now + HOLD_MS) } : undefined;
}

/** How long a verifying match holds the templates in the object (see holdFor). */
export const HOLD_MS = 2 * 60_000;

/**
 * markVerified for a face match that verifies (face_verify, identification with a picture), answering what it found:
 * the enrolment gone meanwhile (a partner moved or deleted the session) releases the match's hold and is the exam's
 * 404, as if that had come first; an instructor's overturn of an earlier face verification is the 400.
 */
export async function markFaceVerified(env: Bindings, db: Db, caller: Caller, examId: number, now: number, records: DecisionInsert[]): Promise<void> {
  const marked = await markVerified(db, { institutionId: caller.institutionId, examId, studentId: caller.userId }, now, records);
  if (marked === "not_enrolled") {
    await templatesOf(env, ownerOf(caller)).releaseHold(ownerOf(caller), examId);
    throw examNotFound(examId);
  }
  if (marked === "withdrawn") throw AppError.badField("exam_id", FACE_VERIFICATION_WITHDRAWN);
}

/**
 * Marks an enrolment verified by a successful 1:1 face verification. A student already verified stays verified as
 * and when they were: a person's approval in particular is never replaced by a face match, so that overturning
 * that face decision later (services/decisions/review.ts) cannot undo the approval. Open manual-approval requests
 * are closed. "not_enrolled" when the student is not enrolled in the exam (nothing changes then; the decisions are
 * recorded all the same: they were taken), e.g. when a partner moved or deleted the session meanwhile; "withdrawn" when
 * an instructor overturned an earlier face verification in this exam (faceVerificationWithdrawn: nothing changes
 * either). `records`: the automated decisions that verified the student (docs/decisions.md), written in the same batch.
 */
export async function markVerified(db: Db, scope: EnrolmentScope, now: number, records: DecisionInsert[] = []): Promise<"verified" | "not_enrolled" | "withdrawn"> {
  const wasVerified = sql`${enrolments.verificationStatus} = 'Verified'`;
  const withdrawn = faceVerificationWithdrawn(scope);
  const [updated, , enrolled] = await db.batch([
    db
      .update(enrolments)
      .set({
        verificationStatus: "Verified",
        verifiedAt: sql`CASE WHEN ${wasVerified} THEN ${enrolments.verifiedAt} ELSE ${now} END`,
        verifiedBy: sql`CASE WHEN ${wasVerified} THEN ${enrolments.verifiedBy} ELSE 'face' END`,
      })
      .where(and(enrolmentOf(scope), sql`(${wasVerified} OR NOT ${withdrawn})`))
      .returning({ id: enrolments.id }),
    closeOpenRequests(db, scope, now, null, sql`NOT ${withdrawn}`),
    db.select({ id: enrolments.id }).from(enrolments).where(enrolmentOf(scope)).limit(1),
    ...records.map((row) => insertDecision(db, row)),
    // A match that did not verify the student because of the overturn says so in its record, in the same batch (a
    // probe read "You were marked verified" on a match answered 400 and left Pending).
    ...(records.length > 0
      ? [
          db
            .update(decisions)
            .set({ reason: VERIFICATION_WITHDRAWN_REASON })
            .where(
              and(
                inArray(decisions.id, records.map((r) => r.id!)),
                eq(decisions.outcome, "accepted"),
                sql`EXISTS (SELECT 1 FROM ${enrolments} WHERE ${and(enrolmentOf(scope), ne(enrolments.verificationStatus, "Verified"))})`,
              ),
            ),
        ]
      : []),
  ]);
  return updated.length > 0 ? "verified" : enrolled.length > 0 ? "withdrawn" : "not_enrolled";
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
    .select({ studentId: enrolments.studentId, status: enrolments.verificationStatus, by: enrolments.verifiedBy })
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
  if (row.status === "Verified" && row.by === "manual") return { changed: false };
  const scope = { institutionId: instructor.institutionId, examId: exam.id, studentId: row.studentId };
  // Conditional updates, so that of concurrent approvals exactly one verifies the student (and answers so).
  const [approved] = await db.batch([
    db
      .update(enrolments)
      .set({ verificationStatus: "Verified", verifiedAt: now, verifiedBy: "manual" })
      .where(and(enrolmentOf(scope), ne(enrolments.verificationStatus, "Verified")))
      .returning({ id: enrolments.id }),
    // A student verified by their face: the person's approval now stands behind it (an overturned face decision
    // then leaves them verified, docs/decisions.md); when they were verified stays as it was.
    db
      .update(enrolments)
      .set({ verifiedBy: "manual" })
      .where(and(enrolmentOf(scope), eq(enrolments.verificationStatus, "Verified"), eq(enrolments.verifiedBy, "face"))),
    closeOpenRequests(db, scope, now, instructor.userId),
  ]);
  if (approved.length > 0) return { changed: true };
  // Nothing approved: verified meanwhile ("already"), or the session moved to another student or was deleted
  // meanwhile (the partner API): then this email is no longer enrolled, as if the move had come first.
  const [still] = await db.select({ id: enrolments.id }).from(enrolments).where(and(enrolmentOf(scope), eq(enrolments.verificationStatus, "Verified"))).limit(1);
  if (!still) throw userNotFound(input.email);
  return { changed: false };
}
