// Creating and updating exams (POST /instructor/add_exam, /instructor/update_exam_details).
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { exams, processPolicies } from "../../db/schema";
import { AppError, isForeignKeyViolation } from "../../lib/errors";
import type { SecurityLevel } from "../../biometrics/security-level";
import type { Person } from "../../types";
import { normalizePatterns, replaceExamPatternsStatements } from "../process-policy";
import { type Exam, examEndsAt, type ExamType, MINUTE, settle } from "./lifecycle";
import { instructorExam } from "./scope";

// An exam cannot be scheduled further ahead than this (catches year typos).
const MAX_SCHEDULE_AHEAD_MS = 2 * 366 * 24 * 60 * MINUTE;
export const MAX_EXAM_NAME_LENGTH = 200;
export const MAX_DURATION_MINUTES = 24 * 60;

export type ExamInput = {
  name: string;
  examType: ExamType;
  durationMinutes: number;
  scheduledAt: number;
  privacyPolicy: string;
  additionalMaterial?: boolean | undefined;
  /** Replaces the exam's own forbidden-process patterns when given. */
  forbiddenProcesses?: string[] | undefined;
  /** null removes the link; undefined leaves it (on update). */
  moodleCourseId?: string | null | undefined;
  /** The exam's own security level; null: the institution's. On update, undefined leaves it unchanged. */
  securityLevel?: SecurityLevel | null | undefined;
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
      securityLevel: input.securityLevel ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .catch((e: unknown) => {
      // The instructor was removed while this access token is still valid (SECURITY.md, "Deletion").
      throw isForeignKeyViolation(e) ? AppError.unauthorized("This account no longer exists") : e;
    });
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
 * moving a window into the past ends the exam, which is how an instructor ends one early. The window becomes
 * [scheduled_date, scheduled_date + duration] also for an exam a partner created with an `end_time`: the
 * instructor's schedule replaces it (kept, it made the duration moot and "ending early" opened the exam instead).
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
  // An unchanged date is not checked again: a partner may schedule further ahead than TRUSTID lets instructors.
  if (input.scheduledAt !== exam.scheduledAt) checkSchedule(input.scheduledAt, now, true);
  // An exam created through the partner API has no privacy policy; saving it back unchanged ("") is allowed, and
  // clearing one that exists is not.
  if (input.privacyPolicy === "" && exam.privacyPolicy !== "") throw AppError.badField("privacy_policy", "The privacy policy cannot be emptied.");
  const patterns = input.forbiddenProcesses === undefined ? undefined : normalizePatterns(input.forbiddenProcesses);
  const set = {
    name: input.name ?? exam.name,
    examType: input.examType,
    durationMinutes: input.durationMinutes,
    scheduledAt: input.scheduledAt,
    endsAt: null as number | null,
    privacyPolicy: input.privacyPolicy,
    additionalMaterial: input.additionalMaterial ?? exam.additionalMaterial,
    moodleCourseId: input.moodleCourseId === undefined ? exam.moodleCourseId : input.moodleCourseId,
    securityLevel: input.securityLevel === undefined ? exam.securityLevel : input.securityLevel,
    updatedAt: now,
  };
  // A window moved into the past ends the exam now (how an instructor ends it early): its end is now, not the past
  // moment the new window names, which put a probe's completion before the exam had started and students joined.
  if (examEndsAt(set) <= now) set.endsAt = now;
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
