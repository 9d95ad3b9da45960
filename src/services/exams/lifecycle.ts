// The one owner of an exam's status: how the stored status, the schedule and the clock combine into
// Upcoming / Started / Completed (TRUSTID), and how that, with the enrolment's facts, becomes the partner
// API's exam and session statuses (ProctorExam). The Start / Join / Leave transitions are in ./conditions.ts.
import { and, eq, lte, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type enrolments, exams } from "../../db/schema";

export type Exam = typeof exams.$inferSelect;
export type Enrolment = typeof enrolments.$inferSelect;
export type ExamStatus = Exam["status"];
export type ExamType = Exam["examType"];
export type VerificationStatus = Enrolment["verificationStatus"];

export const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// Timing. The schedule is authoritative: an exam's window is [scheduled_at, end], where the end is the
// partner's `end_time` when it gave one, else scheduled_at + duration. The instructor may start it any
// time before the window ends (early or late); it is Completed once the window has ended, whether or not
// it was started. A late start does not extend the window; the instructor extends it by updating the
// duration (or the partner the end_time).
//
// A partner exam has no instructor to press Start: while its partner status is `open`, it starts by
// itself when its window opens (started_at = scheduled_at). So a partner runs an exam through /api/v3
// alone: create it `open` (or open it later), sessions join within their `open_time`, and it closes at
// `end_time` (or when the partner sets `closed`). The same rules answer both APIs.

type Timing = Pick<Exam, "status" | "scheduledAt" | "durationMinutes" | "endsAt" | "partnerStatus">;

export const examEndsAt = (exam: Pick<Exam, "scheduledAt" | "durationMinutes" | "endsAt">) =>
  exam.endsAt ?? exam.scheduledAt + exam.durationMinutes * MINUTE;

/** A partner exam whose partner status is `open` starts by itself when its window opens (not yet written by settle). */
const startedByClock = (exam: Timing, now: number) => exam.status === "Upcoming" && exam.partnerStatus === "open" && now >= exam.scheduledAt;

export function effectiveStatus(exam: Timing, now: number): ExamStatus {
  if (exam.status === "Completed" || now >= examEndsAt(exam)) return "Completed";
  if (startedByClock(exam, now)) return "Started";
  return exam.status;
}

/**
 * When the exam started, as effectiveStatus sees it: a partner exam the clock has started but nobody has read since
 * (settle writes it) started at its scheduled time (a probe's list_exam showed "Started" with started_at null).
 */
export function effectiveStartedAt(exam: Timing & Pick<Exam, "startedAt">, now: number): number | null {
  if (exam.startedAt !== null) return exam.startedAt;
  return startedByClock(exam, now) ? exam.scheduledAt : null;
}

type Settleable = Timing & Pick<Exam, "id" | "institutionId" | "startedAt" | "completedAt">;

/** The fields the clock changes on this exam now (started or completed), or null when it changes nothing. */
export function settledFields(exam: Timing, now: number): { status: ExamStatus; completedAt: number } | { status: ExamStatus; startedAt: number } | null {
  const status = effectiveStatus(exam, now);
  if (status === exam.status) return null;
  return status === "Completed" ? { status, completedAt: Math.min(now, examEndsAt(exam)) } : { status, startedAt: exam.scheduledAt };
}

/** Brings the stored status up to date (started or completed by the clock) and returns the exam as now. */
export async function settle<T extends Settleable>(db: Db, exam: T, now: number): Promise<T> {
  const set = settledFields(exam, now);
  if (set === null) return exam;
  // Written only over the status it was decided on; a concurrent writer's change stands.
  await db
    .update(exams)
    .set(set)
    .where(and(eq(exams.id, exam.id), eq(exams.institutionId, exam.institutionId), eq(exams.status, exam.status)));
  return { ...exam, ...set };
}

/**
 * The periodic sweep (the scheduled handler, before partner session statuses are compared): settles every
 * exam whose clock has moved it, so that partners are called back when an exam opens or closes by itself.
 */
export async function settleDueExams(db: Db, now: number) {
  const end = sql`coalesce(${exams.endsAt}, ${exams.scheduledAt} + ${exams.durationMinutes} * ${MINUTE})`;
  await db.batch([
    db
      .update(exams)
      .set({ status: "Completed", completedAt: sql`min(${now}, ${end})` })
      .where(and(ne(exams.status, "Completed"), lte(end, now))),
    db
      .update(exams)
      .set({ status: "Started", startedAt: exams.scheduledAt })
      .where(and(eq(exams.status, "Upcoming"), eq(exams.partnerStatus, "open"), lte(exams.scheduledAt, now))),
  ]);
}

/** A session may be joined from its `open_time` (partner API) on; TRUSTID enrolments have none. */
export const sessionOpen = (enrolment: Pick<Enrolment, "openTime">, now: number) => enrolment.openTime === null || now >= enrolment.openTime;

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
