// The one place where TRUSTID state becomes ProctorExam state. A student session's status is derived
// from the enrolment and its exam (never set directly), so whatever the TRUSTID endpoints record
// (verification, joining, leaving, the exam's start and end) is what the partner sees:
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

export type TrustidExamStatus = "Upcoming" | "Started" | "Completed";
export type VerificationStatus = "Pending" | "Requested Manual Approval" | "Verified";

export type SessionFacts = {
  verificationStatus: VerificationStatus;
  joinedAt: number | null;
  leftAt: number | null;
  examStatus: TrustidExamStatus;
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

export const EXAM_STATUSES = ["draft", "open", "closed"] as const;
export type ExamStatus = (typeof EXAM_STATUSES)[number];

/**
 * A completed TRUSTID exam is `closed`, a started one `open`; before that the partner's own choice
 * (draft or open) shows, and exams created through TRUSTID (no partner status) are `open`.
 */
export function examStatus(e: { status: TrustidExamStatus; partnerStatus: ExamStatus | null }): ExamStatus {
  if (e.status === "Completed") return "closed";
  if (e.status === "Started") return "open";
  return e.partnerStatus === "closed" ? "closed" : (e.partnerStatus ?? "open");
}

/**
 * The TRUSTID fields a partner status change writes ("the reverse"): closing completes the exam;
 * draft and open leave an upcoming exam upcoming. Returns an error message for changes that cannot be.
 */
export function examStatusChange(
  current: { status: TrustidExamStatus },
  wanted: ExamStatus,
  now: number,
): { set: { partnerStatus: ExamStatus; status?: TrustidExamStatus; completedAt?: number } } | { error: string } {
  if (current.status === "Completed") {
    return wanted === "closed" ? { set: { partnerStatus: "closed" } } : { error: "can not reopen a closed exam" };
  }
  if (wanted === "closed") return { set: { partnerStatus: "closed", status: "Completed", completedAt: now } };
  if (wanted === "draft" && current.status === "Started") return { error: "can not return a started exam to draft" };
  return { set: { partnerStatus: wanted } };
}
