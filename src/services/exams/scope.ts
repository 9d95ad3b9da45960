// Exams, enrolments, exam conditions (Start / Join / Leave), verification status and manual approval.
// All SQL for these lives here; every query is scoped to the caller's institution, and an exam that is
// not the caller's (another instructor's, another institution's, or one a student is not enrolled in)
// is a 404, never a 403. Other areas (the ProctorExam partner API, face biometrics) reuse the exported
// functions: a partner exam is an exam, a student session is an enrolment.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { alerts, enrolments, exams, feedback, manualApprovalRequests, processPolicies, users } from "../db/schema";
import { AppError } from "../lib/errors";
import {
  examPatterns,
  forbiddenAmong,
  normalizePatterns,
  policyPatterns,
  replaceExamPatternsStatements,
} from "./process-policy";
import { moodleCourseStudents } from "./moodle";

export type Exam = typeof exams.$inferSelect;
export type Enrolment = typeof enrolments.$inferSelect;
export type ExamStatus = Exam["status"];
export type ExamType = Exam["examType"];
export type VerificationStatus = Enrolment["verificationStatus"];

/** The instructor or student making the request (from the access token). */
export type Person = { userId: number; institutionId: number };

const MINUTE = 60_000;
// An exam cannot be scheduled further ahead than this (catches year typos).
const MAX_SCHEDULE_AHEAD_MS = 2 * 366 * 24 * 60 * MINUTE;
export const MAX_DURATION_MINUTES = 24 * 60;
export const MAX_STUDENTS_PER_SYNC = 2000;

const examNotFound = (examId: number) => AppError.notFound("examination", String(examId), "Examination not found");
const userNotFound = (email: string) => AppError.notFound("user", email, "User not found");

// ---------------------------------------------------------------------------------------------
// Timing. The schedule is authoritative: an exam's window is [scheduled_at, scheduled_at + duration].
// The instructor may start it any time before the window ends (early or late); it is Completed once
// the window has ended, whether or not it was started. A late start does not extend the window; the
// instructor extends it by updating the duration.

export const examEndsAt = (exam: Pick<Exam, "scheduledAt" | "durationMinutes">) =>
  exam.scheduledAt + exam.durationMinutes * MINUTE;

export function effectiveStatus(exam: Pick<Exam, "status" | "scheduledAt" | "durationMinutes">, now: number): ExamStatus {
  if (exam.status === "Completed" || now >= examEndsAt(exam)) return "Completed";
  return exam.status;
}

/** Brings the stored status up to date (Completed once the window has ended) and returns the exam as now. */
async function settle(db: Db, exam: Exam, now: number): Promise<Exam> {
  if (exam.status === "Completed" || effectiveStatus(exam, now) !== "Completed") return exam;
  const completedAt = examEndsAt(exam);
  await db
    .update(exams)
    .set({ status: "Completed", completedAt })
    .where(and(eq(exams.id, exam.id), eq(exams.institutionId, exam.institutionId)));
  return { ...exam, status: "Completed", completedAt };
}

// ---------------------------------------------------------------------------------------------
// Lookups (scoped; 404 otherwise)

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

/** The exam and the student's enrolment in it; 404 when the student is not enrolled (or it does not exist). */
export async function studentEnrolment(
  db: Db,
  student: Person,
  examId: number,
  now: number,
): Promise<{ exam: Exam; enrolment: Enrolment }> {
  const [row] = await db
    .select({ exam: exams, enrolment: enrolments })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .where(
      and(
        eq(enrolments.examId, examId),
        eq(enrolments.studentId, student.userId),
        eq(enrolments.institutionId, student.institutionId),
        eq(exams.institutionId, student.institutionId),
      ),
    )
    .limit(1);
  if (!row) throw examNotFound(examId);
  return { exam: await settle(db, row.exam, now), enrolment: row.enrolment };
}

/**
 * An exam in progress (started, its window not over) for which the student has been verified, if any.
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
        eq(enrolments.verificationStatus, "Verified"),
        eq(exams.institutionId, student.institutionId),
        eq(exams.status, "Started"),
        sql`${exams.scheduledAt} + ${exams.durationMinutes} * ${MINUTE} > ${now}`,
      ),
    )
    .limit(1);
  return row?.id ?? null;
}

// ---------------------------------------------------------------------------------------------
// Creating and updating exams

export type ExamInput = {
  name: string;
  examType: ExamType;
  durationMinutes: number;
  scheduledAt: number;
  privacyPolicy: string;
  additionalMaterial?: boolean | undefined;
  /** Replaces the exam's own forbidden-process patterns when given. */
  forbiddenProcesses?: string[] | undefined;
  moodleCourseId?: string | undefined;
};

function checkSchedule(scheduledAt: number, now: number, allowPast: boolean) {
  if (!allowPast && scheduledAt <= now) throw AppError.badField("scheduled_date", "The scheduled date must be in the future.");
  if (scheduledAt > now + MAX_SCHEDULE_AHEAD_MS) {
    throw AppError.badField("scheduled_date", "The scheduled date must be within the next two years.");
  }
}

export async function createExam(db: Db, instructor: Person, input: ExamInput, now: number): Promise<Exam> {
  checkSchedule(input.scheduledAt, now, false);
  const patterns = normalizePatterns(input.forbiddenProcesses ?? []);
  const [exam] = await db
    .insert(exams)
    .values({
      institutionId: instructor.institutionId,
      instructorId: instructor.userId,
      name: input.name,
      examType: input.examType,
      durationMinutes: input.durationMinutes,
      scheduledAt: input.scheduledAt,
      privacyPolicy: input.privacyPolicy,
      additionalMaterial: input.additionalMaterial ?? false,
      moodleCourseId: input.moodleCourseId ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!exam) throw new Error("exam insert returned nothing");
  // The patterns were validated above, so this second write fails only if the database does.
  if (patterns.length > 0) {
    await db
      .insert(processPolicies)
      .values(patterns.map((pattern) => ({ institutionId: instructor.institutionId, examId: exam.id, pattern, createdAt: now })));
  }
  return exam;
}

/**
 * Updates an exam that has not completed. The new schedule may lie in the past (unlike on creation):
 * moving a window into the past ends the exam, which is how an instructor ends one early.
 */
export async function updateExam(
  db: Db,
  instructor: Person,
  examId: number,
  input: Omit<ExamInput, "name"> & { name?: string | undefined },
  now: number,
): Promise<Exam> {
  const exam = await instructorExam(db, instructor, examId, now);
  if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed and can no longer be changed.");
  checkSchedule(input.scheduledAt, now, true);
  const patterns = input.forbiddenProcesses === undefined ? undefined : normalizePatterns(input.forbiddenProcesses);
  const set = {
    name: input.name ?? exam.name,
    examType: input.examType,
    durationMinutes: input.durationMinutes,
    scheduledAt: input.scheduledAt,
    privacyPolicy: input.privacyPolicy,
    additionalMaterial: input.additionalMaterial ?? exam.additionalMaterial,
    moodleCourseId: input.moodleCourseId ?? exam.moodleCourseId,
    updatedAt: now,
  };
  const where = and(eq(exams.id, exam.id), eq(exams.institutionId, instructor.institutionId));
  if (patterns === undefined) {
    await db.update(exams).set(set).where(where);
  } else {
    await db.batch([
      db.update(exams).set(set).where(where),
      ...replaceExamPatternsStatements(db, instructor.institutionId, exam.id, patterns, now),
    ]);
  }
  return settle(db, { ...exam, ...set }, now);
}

// ---------------------------------------------------------------------------------------------
// Enrolment

export type StudentDetails = { email: string; name?: string | undefined; surname?: string | undefined };
export type EnrolResult = { enrolled: number; alreadyEnrolled: number; invited: number };

/**
 * Enrols students in an exam by email, creating invited accounts (no password yet; the student claims
 * the account by registering with the same email) for emails the institution does not know.
 * Idempotent: students already enrolled are counted, not re-added. The whole list is checked before
 * anything is written: the same email twice, or an instructor's email, is a 400 that changes nothing.
 */
export async function enrolStudents(
  db: Db,
  exam: Pick<Exam, "id" | "institutionId">,
  students: StudentDetails[],
  now: number,
  field = "details.students",
): Promise<EnrolResult> {
  if (students.length > MAX_STUDENTS_PER_SYNC) {
    throw AppError.badField(field, `At most ${MAX_STUDENTS_PER_SYNC} students can be synchronised at once.`);
  }
  const seen = new Map<string, number>();
  students.forEach((s, i) => {
    const first = seen.get(s.email);
    if (first !== undefined) {
      throw AppError.alreadyExists(`${field}.${i}.email`, `${s.email} is listed twice (also at position ${first}).`);
    }
    seen.set(s.email, i);
  });
  if (students.length === 0) return { enrolled: 0, alreadyEnrolled: 0, invited: 0 };

  const emails = students.map((s) => s.email);
  const existing = await usersByEmail(db, exam.institutionId, emails);
  students.forEach((s, i) => {
    if (existing.get(s.email)?.role === "INSTRUCTOR") {
      throw AppError.badField(`${field}.${i}.email`, `${s.email} belongs to an instructor account and cannot be enrolled.`);
    }
  });

  const toInvite = students.filter((s) => !existing.has(s.email));
  for (const chunk of chunks(toInvite, 200)) {
    await db
      .insert(users)
      .values(
        chunk.map((s) => ({
          institutionId: exam.institutionId,
          email: s.email,
          name: s.name ?? "",
          surname: s.surname ?? "",
          role: "STUDENT" as const,
          passwordHash: null,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflictDoNothing();
  }
  const all = toInvite.length > 0 ? await usersByEmail(db, exam.institutionId, emails) : existing;
  let enrolled = 0;
  for (const chunk of chunks(emails, 200)) {
    const rows = chunk.flatMap((email) => {
      const u = all.get(email);
      return u && u.role === "STUDENT"
        ? [{ institutionId: exam.institutionId, examId: exam.id, studentId: u.id, createdAt: now }]
        : [];
    });
    if (rows.length === 0) continue;
    const added = await db.insert(enrolments).values(rows).onConflictDoNothing().returning({ id: enrolments.id });
    enrolled += added.length;
  }
  return { enrolled, alreadyEnrolled: students.length - enrolled, invited: toInvite.length };
}

async function usersByEmail(db: Db, institutionId: number, emails: string[]) {
  const out = new Map<string, { id: number; role: "INSTRUCTOR" | "STUDENT" }>();
  for (const chunk of chunks(emails, 500)) {
    const rows = await db
      .select({ id: users.id, email: users.email, role: users.role })
      .from(users)
      .where(and(eq(users.institutionId, institutionId), inArray(users.email, chunk)));
    for (const r of rows) out.set(r.email, { id: r.id, role: r.role });
  }
  return out;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Exam conditions

export async function startExam(db: Db, instructor: Person, examId: number, now: number): Promise<{ exam: Exam; changed: boolean }> {
  const exam = await instructorExam(db, instructor, examId, now);
  if (exam.status === "Completed") {
    throw AppError.badField("exam_id", "This examination has completed (its scheduled time plus duration has passed).");
  }
  if (exam.status === "Started") return { exam, changed: false };
  await db
    .update(exams)
    .set({ status: "Started", startedAt: now, updatedAt: now })
    .where(and(eq(exams.id, exam.id), eq(exams.institutionId, instructor.institutionId), eq(exams.status, "Upcoming")));
  return { exam: { ...exam, status: "Started", startedAt: now }, changed: true };
}

/** Joining needs a started exam within its window and a verified (by face or manually) enrolment. */
export async function joinExam(db: Db, student: Person, examId: number, now: number): Promise<{ exam: Exam; changed: boolean }> {
  const { exam, enrolment } = await studentEnrolment(db, student, examId, now);
  if (exam.status === "Upcoming") throw AppError.badField("exam_id", "This examination has not started yet.");
  if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
  if (enrolment.verificationStatus !== "Verified") {
    throw AppError.badField(
      "exam_id",
      "Your identity has not been verified for this examination; verify your face or request manual approval.",
    );
  }
  if (enrolment.joinedAt !== null && enrolment.leftAt === null) return { exam, changed: false };
  await db
    .update(enrolments)
    .set({ joinedAt: enrolment.joinedAt ?? now, leftAt: null })
    .where(and(eq(enrolments.id, enrolment.id), eq(enrolments.institutionId, student.institutionId)));
  return { exam, changed: true };
}

/** Leaving is allowed while the exam runs and after it completed, once joined. */
export async function leaveExam(db: Db, student: Person, examId: number, now: number): Promise<{ exam: Exam }> {
  const { exam, enrolment } = await studentEnrolment(db, student, examId, now);
  if (enrolment.joinedAt === null || enrolment.leftAt !== null) {
    throw AppError.badField("exam_id", "You have not joined this examination (or have already left it).");
  }
  await db
    .update(enrolments)
    .set({ leftAt: now })
    .where(and(eq(enrolments.id, enrolment.id), eq(enrolments.institutionId, student.institutionId)));
  return { exam };
}

// ---------------------------------------------------------------------------------------------
// Verification and manual approval

/**
 * Marks an enrolment verified. Face biometrics calls this with `by: "face"` after a successful 1:1
 * verification; manual approval with `by: "manual"`. Open manual-approval requests are closed.
 * Returns false when the student is not enrolled in the exam (nothing changes then).
 */
export async function markVerified(
  db: Db,
  scope: { institutionId: number; examId: number; studentId: number },
  by: "face" | "manual",
  now: number,
  decidedBy: number | null = null,
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

// ---------------------------------------------------------------------------------------------
// Feedback and process checkup

export async function submitFeedback(
  db: Db,
  student: Person,
  input: { examId: number; cheatMode: "Communication" | "Impersonation"; feedback: string },
  now: number,
): Promise<void> {
  const { exam } = await studentEnrolment(db, student, input.examId, now);
  await db.insert(feedback).values({
    institutionId: student.institutionId,
    examId: exam.id,
    studentId: student.userId,
    cheatMode: input.cheatMode,
    feedback: input.feedback,
    createdAt: now,
  });
}

/**
 * Which of the submitted processes the policy forbids: the institution's patterns, plus the exam's
 * own when an exam is named (the student must be enrolled in it).
 */
export async function checkupProcesses(
  db: Db,
  student: Person,
  input: { examId?: number | undefined; processes: string[] },
  now: number,
): Promise<string[]> {
  let examId: number | null = null;
  if (input.examId !== undefined) examId = (await studentEnrolment(db, student, input.examId, now)).exam.id;
  return forbiddenAmong(input.processes, await policyPatterns(db, student.institutionId, examId));
}

// ---------------------------------------------------------------------------------------------
// Listings (explicit mappers: the API's shapes, never rows)

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type AlertView = {
  reason: string;
  detail: string | null;
  occurrences: number;
  first_seen_at: string;
  last_seen_at: string;
};

/** A short list of reasons, e.g. "no_face (3x); forbidden_process: anydesk.exe, teamviewer.exe (5x)". */
export function summarizeAlerts(list: AlertView[]): string {
  const byReason = new Map<string, { details: Set<string>; occurrences: number }>();
  for (const a of list) {
    const entry = byReason.get(a.reason) ?? { details: new Set<string>(), occurrences: 0 };
    if (a.detail) entry.details.add(a.detail);
    entry.occurrences += a.occurrences;
    byReason.set(a.reason, entry);
  }
  return [...byReason]
    .map(([reason, e]) => `${reason}${e.details.size ? `: ${[...e.details].join(", ")}` : ""} (${e.occurrences}x)`)
    .join("; ");
}

function examView(exam: Exam, now: number) {
  return {
    exam_id: String(exam.id),
    name: exam.name,
    status: effectiveStatus(exam, now),
    scheduled_date: iso(exam.scheduledAt)!,
    privacy_policy: exam.privacyPolicy,
    exam_type: exam.examType,
    duration: exam.durationMinutes,
    additional_material: exam.additionalMaterial,
    started_at: iso(exam.startedAt),
    ends_at: iso(examEndsAt(exam))!,
  };
}

export async function listInstructorExams(db: Db, instructor: Person, now: number) {
  const list = await db
    .select()
    .from(exams)
    .where(and(eq(exams.institutionId, instructor.institutionId), eq(exams.instructorId, instructor.userId)))
    .orderBy(asc(exams.scheduledAt), asc(exams.id));
  const ids = list.map((e) => e.id);
  if (ids.length === 0) return [];

  const students = await db
    .select({
      examId: enrolments.examId,
      studentId: enrolments.studentId,
      status: enrolments.verificationStatus,
      verifiedBy: enrolments.verifiedBy,
      joinedAt: enrolments.joinedAt,
      leftAt: enrolments.leftAt,
      name: users.name,
      surname: users.surname,
      email: users.email,
      invited: sql<number>`${users.passwordHash} is null`,
    })
    .from(enrolments)
    .innerJoin(users, eq(users.id, enrolments.studentId))
    .where(and(eq(enrolments.institutionId, instructor.institutionId), inArray(enrolments.examId, ids)))
    .orderBy(asc(users.surname), asc(users.name), asc(users.email));
  const alertRows = await db
    .select()
    .from(alerts)
    .where(and(eq(alerts.institutionId, instructor.institutionId), inArray(alerts.examId, ids)))
    .orderBy(asc(alerts.firstSeenAt), asc(alerts.id));
  const patterns = await examPatterns(db, instructor.institutionId, ids);

  const alertsOf = new Map<string, AlertView[]>();
  for (const a of alertRows) {
    const key = `${a.examId}:${a.studentId}`;
    const l = alertsOf.get(key) ?? [];
    l.push({
      reason: a.reason,
      detail: a.detail,
      occurrences: a.occurrences,
      first_seen_at: iso(a.firstSeenAt)!,
      last_seen_at: iso(a.lastSeenAt)!,
    });
    alertsOf.set(key, l);
  }

  return list.map((exam) => ({
    ...examView(exam, now),
    forbidden_processes: patterns.get(exam.id) ?? [],
    moodle_course_id: exam.moodleCourseId,
    enrolled_students: students
      .filter((s) => s.examId === exam.id)
      .map((s) => {
        const timeline = alertsOf.get(`${exam.id}:${s.studentId}`) ?? [];
        return {
          name: s.name,
          surname: s.surname,
          email: s.email,
          verification_status: s.status,
          verified_by: s.verifiedBy,
          account_claimed: !s.invited,
          joined_at: iso(s.joinedAt),
          left_at: iso(s.leftAt),
          alerts: summarizeAlerts(timeline),
          alert_timeline: timeline,
        };
      }),
  }));
}

export async function listStudentExams(db: Db, student: Person, now: number) {
  const rows = await db
    .select({ exam: exams, enrolment: enrolments })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .where(and(eq(enrolments.studentId, student.userId), eq(enrolments.institutionId, student.institutionId)))
    .orderBy(asc(exams.scheduledAt), asc(exams.id));
  return rows.map(({ exam, enrolment }) => ({
    ...examView(exam, now),
    verification_status: enrolment.verificationStatus,
    joined_at: iso(enrolment.joinedAt),
    left_at: iso(enrolment.leftAt),
  }));
}

// ---------------------------------------------------------------------------------------------
// Course sync

/**
 * POST /instructor/sync_courses_exams. With `students`, enrols exactly those (Moodle is not asked).
 * Without, enrols the students of the Moodle course (`moodleCourseId`, else the exam's stored one),
 * which the instructor must teach there; the course id is then remembered on the exam. Additive and
 * idempotent: nobody is un-enrolled, repeating a sync adds nobody twice.
 */
export async function syncExamStudents(
  db: Db,
  instructor: Person,
  input: { examId: number; students?: StudentDetails[] | undefined; moodleCourseId?: number | undefined },
  now: number,
  moodleSealKey?: string,
): Promise<EnrolResult & { source: "request" | "moodle"; moodleCourseId: string | null }> {
  const exam = await instructorExam(db, instructor, input.examId, now);
  if (exam.status === "Completed") throw AppError.badField("details.exam_id", "This examination has completed.");
  if (input.students !== undefined) {
    const result = await enrolStudents(db, exam, input.students, now);
    return { ...result, source: "request", moodleCourseId: exam.moodleCourseId };
  }
  const courseId = input.moodleCourseId ?? (exam.moodleCourseId !== null ? Number(exam.moodleCourseId) : undefined);
  if (courseId === undefined || !Number.isSafeInteger(courseId)) {
    throw AppError.validation({
      missing: ["details.students"],
      details: { "details.students": ["Give the students, or a moodle_course_id to take them from Moodle."] },
    });
  }
  const { students } = await moodleCourseStudents(db, instructor, courseId, moodleSealKey);
  const unique = [...new Map(students.map((s) => [s.email, s])).values()];
  const result = await enrolStudents(db, exam, unique, now, "moodle");
  if (exam.moodleCourseId !== String(courseId)) {
    await db
      .update(exams)
      .set({ moodleCourseId: String(courseId), updatedAt: now })
      .where(and(eq(exams.id, exam.id), eq(exams.institutionId, instructor.institutionId)));
  }
  return { ...result, source: "moodle", moodleCourseId: String(courseId) };
}
