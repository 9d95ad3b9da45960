// Explicit mappers from rows to the partner API's JSON objects: nothing reaches a partner unless it is
// named here. The student session carries every field of ProctorExam's documented example with the same
// names and types; fields about ProctorExam machinery we do not have (recordings, uploaded ID pictures,
// browser checks) keep the value a fresh ProctorExam session has.
import { type ExamStatus, type PartnerExamStatus, partnerExamStatus, type SessionStatus, sessionStatus, type VerificationStatus } from "../exams/lifecycle";

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export type SessionRow = {
  id: number;
  examId: number;
  studentId: number;
  email: string;
  userName: string;
  userSurname: string;
  displayName: string | null;
  externalId: string | null;
  individualInfo: string | null;
  isIndividualInfoHtml: boolean;
  skipRequirements: boolean;
  sendConfirmation: boolean;
  openTime: number | null;
  verificationStatus: VerificationStatus;
  joinedAt: number | null;
  leftAt: number | null;
  verifiedAt: number | null;
  createdAt: number;
  updatedAt: number | null;
  examStatus: ExamStatus;
  /** When the exam completed (null while it has not): the end of a session still joined then. */
  examCompletedAt: number | null;
  alertCount: number;
};

export const statusOfRow = (r: SessionRow): SessionStatus =>
  sessionStatus({ verificationStatus: r.verificationStatus, joinedAt: r.joinedAt, leftAt: r.leftAt, examStatus: r.examStatus });

/** When a finished session ended: the student left, or (still joined) the exam completed. */
function sessionEnd(r: SessionRow): number | null {
  if (r.joinedAt === null) return null;
  if (r.leftAt !== null && r.leftAt >= r.joinedAt) return r.leftAt;
  return r.examCompletedAt !== null ? Math.max(r.examCompletedAt, r.joinedAt) : null;
}

/** `invitationToken`: only in the answer that issued it (the token is stored as a hash and cannot be shown again). */
export function sessionJson(r: SessionRow, invitationToken: string | null = null) {
  const status = statusOfRow(r);
  const checks = "not_started";
  return {
    id: r.id,
    session_id: null,
    student_id: r.studentId, // the TRUSTID user id, so that integrators can relate the two APIs
    external_id: r.externalId,
    proctor_id: null,
    time_slot: null,
    created_at: iso(r.createdAt),
    // The latest change on either side (TRUSTID code does not maintain updated_at).
    updated_at: iso(Math.max(r.createdAt, r.updatedAt ?? 0, r.verifiedAt ?? 0, r.joinedAt ?? 0, r.leftAt ?? 0)),
    email: r.email,
    operating_system: null,
    browser: null,
    browser_version: null,
    status,
    token: invitationToken,
    screenshare_check: checks,
    microphone_check: checks,
    speakers_check: checks,
    webcam_check: checks,
    mobile_check: checks,
    dummy_exam_survey: null,
    skip_requirements: r.skipRequirements,
    send_confirmation: r.sendConfirmation,
    name: r.displayName ?? [r.userName, r.userSurname].filter(Boolean).join(" "),
    start_time: iso(r.joinedAt),
    exam_id: r.examId,
    expires_at: null,
    end_time: status === "exam_finished" ? iso(sessionEnd(r)) : null,
    entered_room: r.joinedAt !== null,
    reservation_time: null,
    exam_document_content_type: null,
    exam_document_file_size: null,
    exam_document_updated_at: null,
    reviewed: "0",
    id_card_file_name: null,
    id_card_content_type: null,
    id_card_file_size: null,
    face_photo_file_name: null,
    face_photo_content_type: null,
    face_photo_file_size: null,
    bandwidth_check: checks,
    bandwidth_speed: null,
    open_time: iso(r.openTime),
    individual_info: r.individualInfo,
    rtc_session_id: 0,
    in_setup: status === "in_setup",
    in_check_requirements: false,
    attempt: 0,
    archived: r.examStatus === "Completed",
    current_exam_mode: "00000000",
    rtc_session_ids: [] as string[],
    transcoding_status: "not_sent_to_queue",
    is_individual_info_html: r.isIndividualInfoHtml,
    priority: "00",
    recording_started_at: null,
    recording_ended_at: null,
    // TRUSTID additions (not in ProctorExam): the identity check and the proctoring alerts behind `status`.
    verification_status: r.verificationStatus,
    alerts_count: r.alertCount,
  };
}

export type ExamRow = {
  id: number;
  institutionId: number;
  name: string;
  examType: "Oral" | "Written";
  durationMinutes: number;
  scheduledAt: number;
  endsAt: number | null;
  status: ExamStatus;
  partnerStatus: PartnerExamStatus | null;
  partnerType: string | null;
  startedAt: number | null;
  completedAt: number | null;
  createdAt: number;
  updatedAt: number | null;
};

export function examJson(e: ExamRow) {
  return {
    id: e.id,
    name: e.name,
    status: partnerExamStatus(e),
    type: e.partnerType ?? "classic",
    exam_type: e.examType, // TRUSTID: Oral or Written
    duration: e.durationMinutes,
    start_time: iso(e.scheduledAt),
    end_time: iso(e.endsAt),
    started_at: iso(e.startedAt),
    completed_at: iso(e.completedAt),
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt ?? e.createdAt),
  };
}
