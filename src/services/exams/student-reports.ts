// What a student reports about an exam: cheating feedback (POST /student/submit_feedback) and the processes
// running on their device (POST /student/checkup_process).
import { and, count, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { feedback } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Person } from "../../types";
import { forbiddenAmong, policyPatterns } from "../process-policy";
import { studentEnrolment } from "./scope";

export async function submitFeedback(
  db: Db,
  student: Person,
  input: { examId: number; cheatMode: "Communication" | "Impersonation"; feedback: string },
  now: number,
): Promise<void> {
  const { exam } = await studentEnrolment(db, student, input.examId, now);
  // Feedback is shown whole in the instructor's exam list: one student looping on this endpoint made that answer
  // 150 MB (a probe). A person reports a few things per exam.
  const mine = and(eq(feedback.institutionId, student.institutionId), eq(feedback.examId, exam.id), eq(feedback.studentId, student.userId));
  const [sent] = await db.select({ n: count() }).from(feedback).where(mine);
  if ((sent?.n ?? 0) >= MAX_FEEDBACK_PER_EXAM) {
    throw AppError.badField("feedback", `At most ${MAX_FEEDBACK_PER_EXAM} feedback reports per student and exam; tell your instructor directly.`);
  }
  await db.insert(feedback).values({
    institutionId: student.institutionId,
    examId: exam.id,
    studentId: student.userId,
    cheatMode: input.cheatMode,
    feedback: input.feedback,
    createdAt: now,
  });
}

export const MAX_FEEDBACK_PER_EXAM = 20;

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
