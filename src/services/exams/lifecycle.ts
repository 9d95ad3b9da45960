// The one owner of an exam's status: how the stored status, the schedule and the clock combine into
// Upcoming / Started / Completed (TRUSTID), and how that, with the enrolment's facts, becomes the partner
// API's exam and session statuses (ProctorExam). The Start / Join / Leave transitions are in ./conditions.ts.
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type enrolments, exams } from "../../db/schema";

export type Exam = typeof exams.$inferSelect;
export type Enrolment = typeof enrolments.$inferSelect;
export type ExamStatus = Exam["status"];
export type ExamType = Exam["examType"];
export type VerificationStatus = Enrolment["verificationStatus"];

export const MINUTE = 60_000;

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
export async function settle(db: Db, exam: Exam, now: number): Promise<Exam> {
  if (exam.status === "Completed" || effectiveStatus(exam, now) !== "Completed") return exam;
  const completedAt = examEndsAt(exam);
  await db
    .update(exams)
    .set({ status: "Completed", completedAt })
    .where(and(eq(exams.id, exam.id), eq(exams.institutionId, exam.institutionId)));
  return { ...exam, status: "Completed", completedAt };
}

// ---------------------------------------------------------------------------------------------
// The partner API's view. A student session's status is derived from the enrolment and its exam (never set
// directly), so whatever the TRUSTID endpoints record (verification, joining, leaving, the exam's start and
// end) is what the partner sees:
//
//   joined, then left (or the exam completed)   exam_finished
//   joined                                      exam_started
//   identity verified                           exam_not_started   (ready, waiting to start)
//   manual approval requested                   in_setup           (identity check in progress)
//   otherwise                                   registered
//
// `email_sent` and `after_check_req` are ProctorExam states with no TRUSTID counterpart (we send no
// emails and run no separate requirements check), so they are never produced.

export const SESSION_STATUSES = [
  "registered",
  "email_sent",
  "after_check_req",
  "in_setup",
  "exam_not_started",
  "exam_started",
  "exam_finished",
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export type SessionFacts = {
  verificationStatus: VerificationStatus;
  joinedAt: number | null;
  leftAt: number | null;
  examStatus: ExamStatus;
};

export function sessionStatus(f: SessionFacts): SessionStatus {
  if (f.joinedAt !== null) {
    const left = f.leftAt !== null && f.leftAt >= f.joinedAt; // a re-join after leaving is in progress again
    return left || f.examStatus === "Completed" ? "exam_finished" : "exam_started";
  }
  if (f.verificationStatus === "Verified") return "exam_not_started";
  if (f.verificationStatus === "Requested Manual Approval") return "in_setup";
  return "registered";
}

export const PARTNER_EXAM_STATUSES = ["draft", "open", "closed"] as const;
export type PartnerExamStatus = (typeof PARTNER_EXAM_STATUSES)[number];

/**
 * A completed TRUSTID exam is `closed`, a started one `open`; before that the partner's own choice
 * (draft or open) shows, and exams created through TRUSTID (no partner status) are `open`.
 */
export function partnerExamStatus(e: { status: ExamStatus; partnerStatus: PartnerExamStatus | null }): PartnerExamStatus {
  if (e.status === "Completed") return "closed";
  if (e.status === "Started") return "open";
  return e.partnerStatus === "closed" ? "closed" : (e.partnerStatus ?? "open");
}

/**
 * The TRUSTID fields a partner status change writes ("the reverse"): closing completes the exam;
 * draft and open leave an upcoming exam upcoming. Returns an error message for changes that cannot be.
 */
export function partnerExamStatusChange(
  current: { status: ExamStatus },
  wanted: PartnerExamStatus,
  now: number,
): { set: { partnerStatus: PartnerExamStatus; status?: ExamStatus; completedAt?: number } } | { error: string } {
  if (current.status === "Completed") {
    return wanted === "closed" ? { set: { partnerStatus: "closed" } } : { error: "can not reopen a closed exam" };
  }
  if (wanted === "closed") return { set: { partnerStatus: "closed", status: "Completed", completedAt: now } };
  if (wanted === "draft" && current.status === "Started") return { error: "can not return a started exam to draft" };
  return { set: { partnerStatus: wanted } };
}
