// The scoped lookups every exam operation starts from. Every query is scoped to the caller's institution,
// and an exam that is not the caller's (another instructor's, another institution's, or one a student is not
// enrolled in) is a 404, never a 403. Other areas (the partner API, biometrics, monitoring) reuse them: a
// partner exam is an exam, a student session is an enrolment.
import { and, type Column, desc, eq, inArray, isNotNull, lte, ne, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decisions, enrolments, exams, institutions } from "../../db/schema";
import type { SecurityLevel } from "../../biometrics/security-level";
import { examSecurityLevel } from "../security-level";
import { AppError } from "../../lib/errors";
import type { Person } from "../../types";
import { type Enrolment, type Exam, MINUTE, settle } from "./lifecycle";

export const examNotFound = (examId: number) => AppError.notFound("examination", String(examId), "Examination not found");

/** The instructor's own exam in their institution, its status settled; 404 otherwise. */
export async function instructorExam(db: Db, instructor: Person, examId: number, now: number): Promise<Exam> {
  const [exam] = await db
    .select()
    .from(exams)
    .where(
      and(eq(exams.id, examId), eq(exams.institutionId, instructor.institutionId), eq(exams.instructorId, instructor.userId)),
    )
    .limit(1);
  if (!exam) throw examNotFound(examId);
  return settle(db, exam, now);
}

/**
 * The exam and the student's enrolment in it; 404 when the student is not enrolled (or it does not exist).
 * Also the security level the exam's biometric decisions are taken at (the institution's joined in: no
 * second round trip).
 */
export async function studentEnrolment(
  db: Db,
  student: Person,
  examId: number,
  now: number,
): Promise<{ exam: Exam; enrolment: Enrolment; securityLevel: SecurityLevel }> {
  return enrolmentFound(db, await enrolmentQuery(db, student, examId), examId, now);
}

/** The one scope of a student's enrolment (both sides in the student's institution), for the two queries below. */
const enrolledIn = (student: Person, examId: number) =>
  and(
    eq(enrolments.examId, examId),
    eq(enrolments.studentId, student.userId),
    eq(enrolments.institutionId, student.institutionId),
    eq(exams.institutionId, student.institutionId),
  );

/** The query behind studentEnrolment, for a caller's batch; enrolmentFound reads its rows. */
export const enrolmentQuery = (db: Db, student: Person, examId: number) =>
  db
    .select({ exam: exams, enrolment: enrolments, institutionLevel: institutions.securityLevel })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .innerJoin(institutions, eq(institutions.id, exams.institutionId))
    .where(enrolledIn(student, examId))
    .limit(1);

/** studentEnrolment's answer from enrolmentQuery's rows: the exam settled by the clock; 404 when none. */
export async function enrolmentFound(
  db: Db,
  rows: Awaited<ReturnType<typeof enrolmentQuery>>,
  examId: number,
  now: number,
): Promise<{ exam: Exam; enrolment: Enrolment; securityLevel: SecurityLevel }> {
  const [row] = rows;
  if (!row) throw examNotFound(examId);
  return { exam: await settle(db, row.exam, now), enrolment: row.enrolment, securityLevel: examSecurityLevel(row.exam.securityLevel, row.institutionLevel) };
}

/**
 * The exam a student is enrolled in, with only what monitoring needs of it: the columns its status is settled
 * from (lifecycle.ts `settle`) and the security level its decisions are taken at. Monitoring reads this on every
 * report; the whole exam and enrolment rows (40-odd columns) cost CPU to select and map for nothing.
 */
export type EnrolledExam = Pick<Exam, "id" | "institutionId" | "status" | "scheduledAt" | "durationMinutes" | "endsAt" | "partnerStatus" | "startedAt" | "completedAt">;

/** enrolmentQuery's scope (the same enrolment, the same 404s) selecting an EnrolledExam; for a caller's batch. */
export const enrolledExamQuery = (db: Db, student: Person, examId: number) =>
  db
    .select({
      id: exams.id,
      institutionId: exams.institutionId,
      status: exams.status,
      scheduledAt: exams.scheduledAt,
      durationMinutes: exams.durationMinutes,
      endsAt: exams.endsAt,
      partnerStatus: exams.partnerStatus,
      startedAt: exams.startedAt,
      completedAt: exams.completedAt,
      examLevel: exams.securityLevel,
      institutionLevel: institutions.securityLevel,
    })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .innerJoin(institutions, eq(institutions.id, exams.institutionId))
    .where(enrolledIn(student, examId))
    .limit(1);

/** enrolledExamQuery's answer: the exam settled by the clock and its security level; 404 when not enrolled. */
export async function enrolledExamFound(
  db: Db,
  rows: Awaited<ReturnType<typeof enrolledExamQuery>>,
  examId: number,
  now: number,
): Promise<{ exam: EnrolledExam; securityLevel: SecurityLevel }> {
  const [row] = rows;
  if (!row) throw examNotFound(examId);
  const { examLevel, institutionLevel, ...exam } = row;
  return { exam: await settle(db, exam, now), securityLevel: examSecurityLevel(examLevel, institutionLevel) };
}

/** The exam a student is enrolled in (an EnrolledExam, settled) and its security level; 404 otherwise. */
export async function enrolledExam(db: Db, student: Person, examId: number, now: number) {
  return enrolledExamFound(db, await enrolledExamQuery(db, student, examId), examId, now);
}

/**
 * The exam the student is sitting now: started, joined and not left since (a student who left and joined again
 * is sitting it); the latest joined if several. Null when none.
 */
export async function examBeingSat(db: Db, student: Person): Promise<number | null> {
  const rows = await db
    .select({ examId: enrolments.examId, joinedAt: enrolments.joinedAt, leftAt: enrolments.leftAt })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .where(
      and(
        eq(enrolments.institutionId, student.institutionId),
        eq(enrolments.studentId, student.userId),
        eq(exams.institutionId, student.institutionId),
        isNotNull(enrolments.joinedAt),
        eq(exams.status, "Started"),
      ),
    )
    .orderBy(desc(enrolments.joinedAt));
  return rows.find((r) => r.leftAt === null || (r.joinedAt ?? 0) > r.leftAt)?.examId ?? null;
}

/** An enrolment, by values or (in a correlated subquery) by the columns of the row at hand. */
export type EnrolmentRef = { institutionId: number | Column; examId: number | Column; studentId: number | Column };

/**
 * An instructor overturned an accepted face verification of this enrolment ("this is not the enrolled student",
 * services/decisions/review.ts): in this exam a face match may no longer verify the student by itself, or the
 * person's decision would be undone by the very check it found wrong (a probe's student was Verified again by the
 * next face_verify). A manual approval still can. Overturned decisions are contested ones (decisions_contested index).
 */
export const faceVerificationWithdrawn = (e: EnrolmentRef) => sql`EXISTS (SELECT 1 FROM ${decisions} WHERE ${and(
  eq(decisions.institutionId, e.institutionId),
  eq(decisions.examId, e.examId),
  isNotNull(decisions.contestedAt),
  eq(decisions.studentId, e.studentId),
  eq(decisions.resolution, "overturned"),
  eq(decisions.outcome, "accepted"),
  inArray(decisions.action, ["verify", "identification"]),
)})`;

/**
 * The longest sitting a verification holds the templates for: the longest exam (MAX_DURATION_MINUTES, 24 h). An exam
 * whose window an instructor keeps moving (a started exam rescheduled 700 days ahead stayed Started) cannot hold a
 * student's templates for longer than that after the student was verified.
 */
const LONGEST_SITTING_MS = 24 * 60 * MINUTE;

/**
 * The student took part in the exam themselves: joined it, was verified by their own face, or sent it anything that
 * was decided on (a verification, a monitoring sample). An instructor's manual approval alone is not the student's
 * doing: a self-registered instructor enrolled and approved a student who had never heard of the exam, started it,
 * and so kept that student from changing or deleting their templates (a probe, 2026-12-07).
 */
const studentTookPart = (e: EnrolmentRef) =>
  or(
    eq(enrolments.verifiedBy, "face"),
    isNotNull(enrolments.joinedAt),
    sql`EXISTS (SELECT 1 FROM ${decisions} WHERE ${and(eq(decisions.institutionId, e.institutionId), eq(decisions.examId, e.examId), eq(decisions.studentId, e.studentId))})`,
  );

/**
 * An exam in progress (started, its window not over) for which the student has been verified, if any, or an exam
 * not yet over whose face verification an instructor overturned (the student is Pending again, but the person
 * found is still enrolled: a probe swapped the face template then, and monitoring took the new face for the student).
 * While there is one, the student's templates must not change: verification and the monitoring of the
 * exam rely on them (a swap would let someone else take over; a deletion would silence face alerts).
 */
export async function examHoldingTemplates(db: Db, student: Person, now: number): Promise<number | null> {
  const [row] = await db
    .select({ id: exams.id })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .where(
      and(
        eq(enrolments.studentId, student.userId),
        eq(enrolments.institutionId, student.institutionId),
        eq(exams.institutionId, student.institutionId),
        ne(exams.status, "Completed"),
        sql`coalesce(${exams.endsAt}, ${exams.scheduledAt} + ${exams.durationMinutes} * ${MINUTE}) > ${now}`,
        or(
          // Verified, in an exam that has started (or a partner exam its clock has started, lifecycle.ts), by the
          // student's own doing and for one sitting at most (below).
          and(
            eq(enrolments.verificationStatus, "Verified"),
            or(eq(exams.status, "Started"), and(eq(exams.status, "Upcoming"), eq(exams.partnerStatus, "open"), lte(exams.scheduledAt, now))),
            studentTookPart({ institutionId: enrolments.institutionId, examId: enrolments.examId, studentId: enrolments.studentId }),
            sql`coalesce(${enrolments.verifiedAt}, ${now}) + ${LONGEST_SITTING_MS} > ${now}`,
          ),
          // A face verification overturned, from then until the exam ends, started or not (a probe overturned one
          // before the start and registered another person's face).
          faceVerificationWithdrawn({ institutionId: enrolments.institutionId, examId: enrolments.examId, studentId: enrolments.studentId }),
        ),
      ),
    )
    .limit(1);
  return row?.id ?? null;
}
