// Who sits an exam: enrolment by email (creating invited accounts in `users` for unknown emails) and the
// course sync from Moodle (POST /instructor/sync_courses_exams).
import { and, eq, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { columnName, type Db } from "../../db/client";
import { enrolments, exams, users } from "../../db/schema";
import { AppError, isForeignKeyViolation } from "../../lib/errors";
import type { Person } from "../../types";
import { usersByEmail } from "../accounts";
import { type Invitation, insertInvitationsIfUnclaimed, issuedInvitations, newInvitation } from "../invitations";
import { moodleCourseStudents, type MoodleStudentWithoutEmail } from "../moodle";
import type { Exam } from "./lifecycle";
import { examNotFound, instructorExam } from "./scope";

export const MAX_STUDENTS_PER_SYNC = 2000;

export type StudentDetails = { email: string; name?: string | undefined; surname?: string | undefined };
export type RosterResult = {
  enrolled: number;
  alreadyEnrolled: number;
  invited: number;
  invitations: Invitation[];
  /** Emails of instructor accounts left out (a Moodle course's teaching assistant also holding the student role). */
  skippedInstructors: string[];
};
/** How long the invitation tokens issued by an enrolment stay valid (the INVITATION_TTL_HOURS setting). */
export const DEFAULT_INVITATION_TTL_HOURS = 168;

/**
 * Enrols students in an exam by email, creating invited accounts (no password yet) for emails the
 * institution does not know. Every listed student whose account is still unclaimed (new or invited
 * before) gets a fresh invitation token, with which they claim it (services/invitations.ts).
 * Idempotent: students already enrolled are counted, not re-added. The whole list is checked before
 * anything is written: the same email twice, or an instructor's email, is a 400 that changes nothing. With
 * `instructors: "skip"` (a Moodle course's list, which the instructor cannot edit from here: a teaching assistant
 * with the student role would otherwise block the whole course) instructor accounts are left out and named instead.
 */
export async function enrolStudents(
  db: Db,
  exam: Pick<Exam, "id" | "institutionId">,
  students: StudentDetails[],
  now: number,
  field = "details.students",
  invitationTtlHours = DEFAULT_INVITATION_TTL_HOURS,
  instructors: "refuse" | "skip" = "refuse",
): Promise<RosterResult> {
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
  if (students.length === 0) return { enrolled: 0, alreadyEnrolled: 0, invited: 0, invitations: [], skippedInstructors: [] };

  const existing = await usersByEmail(db, exam.institutionId, students.map((s) => s.email));
  const skippedInstructors: string[] = [];
  students.forEach((s, i) => {
    if (existing.get(s.email)?.role !== "INSTRUCTOR") return;
    if (instructors === "skip") skippedInstructors.push(s.email);
    else throw AppError.badField(`${field}.${i}.email`, `${s.email} belongs to an instructor account and cannot be enrolled.`);
  });
  if (skippedInstructors.length > 0) {
    const skipped = new Set(skippedInstructors);
    students = students.filter((s) => !skipped.has(s.email));
  }
  const emails = students.map((s) => s.email);

  const toInvite = students.filter((s) => !existing.has(s.email));
  // A token for every listed student whose account may be unclaimed (new, or invited before and not claimed yet),
  // made before the batch; the batch writes one only where the account is still unclaimed when it runs.
  const pending = await Promise.all(
    students.filter((s) => !existing.get(s.email)?.claimed).map((s) => newInvitation(exam.institutionId, s.email, now, invitationTtlHours)),
  );
  // One batch, one transaction: the new accounts, the enrolments, the invitations. An exam deleted meanwhile (by
  // the partner system) breaks the enrolments' foreign key and nothing at all is written: the answer is the exam's
  // 404, and no account is left behind that nobody was invited to claim.
  const accounts = chunks(toInvite, 200).map((chunk) =>
    db
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
      // Returns the accounts this insert created: a request run at the same time may have created one of them first.
      .onConflictDoNothing()
      .returning({ id: users.id }),
  );
  const enrols = chunks(emails, 200).map((chunk) => insertEnrolments(db, exam, chunk, now));
  const invites = chunks(pending, 200).map((chunk) => insertInvitationsIfUnclaimed(db, exam.institutionId, chunk));
  const statements = [...accounts, ...enrols, ...invites] as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];
  let results: unknown[] = [];
  if (statements.length > 0) {
    try {
      results = await db.batch(statements);
    } catch (e) {
      if (isForeignKeyViolation(e)) throw examNotFound(exam.id);
      throw e;
    }
  }
  const rowCount = (batchResults: unknown[]) => batchResults.reduce<number>((n, rows) => n + (rows as unknown[]).length, 0);
  // Counted from what this request's statements wrote, not from what it read before them: a sync run at the same time
  // that listed the same unknown email created the account (and counts it) or enrolled the student.
  const invited = rowCount(results.slice(0, accounts.length));
  const enrolled = rowCount(results.slice(accounts.length, accounts.length + enrols.length));
  const issued = issuedInvitations(pending, (results.slice(accounts.length + enrols.length) as { token_hash: string; user_id: number }[][]).flat());
  return { enrolled, alreadyEnrolled: students.length - enrolled, invited, invitations: issued, skippedInstructors };
}

/** The enrolments of these emails' student accounts (created earlier in the same batch if new); returns the new ids. */
function insertEnrolments(db: Db, exam: Pick<Exam, "id" | "institutionId">, emails: string[], now: number) {
  const e = enrolments;
  return db.all<{ id: number }>(
    sql`insert into ${e} (${columnName(e.institutionId)}, ${columnName(e.examId)}, ${columnName(e.studentId)}, ${columnName(e.createdAt)})
        select ${exam.institutionId}, ${exam.id}, ${users.id}, ${now} from ${users}
        where ${and(eq(users.institutionId, exam.institutionId), inArray(users.email, emails), eq(users.role, "STUDENT"))}
        on conflict do nothing returning ${columnName(e.id)}`,
  );
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

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
  invitationTtlHours = DEFAULT_INVITATION_TTL_HOURS,
): Promise<RosterResult & { source: "request" | "moodle"; moodleCourseId: string | null; examName: string; skippedWithoutEmail: MoodleStudentWithoutEmail[] }> {
  const exam = await instructorExam(db, instructor, input.examId, now);
  if (exam.status === "Completed") throw AppError.badField("details.exam_id", "This examination has completed.");
  if (input.students !== undefined) {
    const result = await enrolStudents(db, exam, input.students, now, "details.students", invitationTtlHours);
    return { ...result, source: "request", moodleCourseId: exam.moodleCourseId, examName: exam.name, skippedWithoutEmail: [] };
  }
  const courseId = input.moodleCourseId ?? (exam.moodleCourseId !== null ? Number(exam.moodleCourseId) : undefined);
  if (courseId === undefined || !Number.isSafeInteger(courseId)) {
    throw AppError.validation({
      missing: ["details.students"],
      details: { "details.students": ["Give the students, or a moodle_course_id to take them from Moodle."] },
    });
  }
  const { students, withoutEmail } = await moodleCourseStudents(db, instructor, courseId, moodleSealKey);
  const unique = [...new Map(students.map((s) => [s.email, s])).values()];
  const result = await enrolStudents(db, exam, unique, now, "moodle", invitationTtlHours, "skip");
  if (exam.moodleCourseId !== String(courseId)) {
    await db
      .update(exams)
      .set({ moodleCourseId: String(courseId), updatedAt: now })
      .where(and(eq(exams.id, exam.id), eq(exams.institutionId, instructor.institutionId)));
  }
  return { ...result, source: "moodle", moodleCourseId: String(courseId), examName: exam.name, skippedWithoutEmail: withoutEmail };
}
