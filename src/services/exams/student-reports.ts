// What a student reports about an exam: cheating feedback (POST /student/submit_feedback) and the processes
// running on their device (POST /student/checkup_process).
import { and, eq, sql } from "drizzle-orm";
import { columnName, type Db } from "../../db/client";
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
  // The count and the insert are one statement, so concurrent reports cannot pass the cap together (8 at once stored 22).
  const f = feedback;
  const mine = and(eq(f.institutionId, student.institutionId), eq(f.examId, exam.id), eq(f.studentId, student.userId));
  const stored = await db.all<{ id: number }>(
    sql`insert into ${f} (${columnName(f.institutionId)}, ${columnName(f.examId)}, ${columnName(f.studentId)}, ${columnName(f.cheatMode)}, ${columnName(f.feedback)}, ${columnName(f.createdAt)})
        select ${student.institutionId}, ${exam.id}, ${student.userId}, ${input.cheatMode}, ${input.feedback}, ${now}
        where (select count(*) from ${f} where ${mine}) < ${MAX_FEEDBACK_PER_EXAM}
        returning ${columnName(f.id)}`,
  );
  if (stored.length === 0) {
    throw AppError.badField("feedback", `At most ${MAX_FEEDBACK_PER_EXAM} feedback reports per student and exam; tell your instructor directly.`);
  }
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
