// The exam shapes the API returns, built from rows by explicit mappers (so no column, and no secret, reaches
// a client by accident) and typed from the documented schemas of ./exam-schemas.ts, so the two cannot drift.
import type { z } from "@hono/zod-openapi";
import { effectiveStartedAt, effectiveStatus, type Exam, examEndsAt } from "../services/exams/lifecycle";
import type { Alert, InstructorExamRows, StudentExamRow } from "../services/exams/listings";
import type { AlertView, ExamView, InstructorExamView, StudentExamView } from "./exam-schemas";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A short list of reasons, e.g. "no_face (3x); forbidden_process: anydesk.exe (4x), teamviewer.exe (1x)": a reason
 * with details counts each detail on its own (one sum would read as if each had been seen that often).
 */
const SUMMARY_DETAILS = 10;
/** Alert episodes listed per student in the instructor's exam view (the latest). */
export const TIMELINE_EPISODES = 100;

export function summarizeAlerts(list: z.infer<typeof AlertView>[]): string {
  const byReason = new Map<string, Map<string, number>>();
  for (const a of list) {
    const details = byReason.get(a.reason) ?? new Map<string, number>();
    details.set(a.detail ?? "", (details.get(a.detail ?? "") ?? 0) + a.occurrences);
    byReason.set(a.reason, details);
  }
  // At most SUMMARY_DETAILS details per reason, the most frequent first: the summary stays "a short list of reasons"
  // (docs/exams.md) whatever a device reports (a probe's was megabytes of process names); the timeline has them all.
  const counted = (details: Map<string, number>) => {
    const all = [...details].sort((a, b) => b[1] - a[1]);
    const shown = all.slice(0, SUMMARY_DETAILS).map(([detail, n]) => (detail ? `${detail} (${n}x)` : `(${n}x)`));
    return [...shown, ...(all.length > SUMMARY_DETAILS ? [`and ${all.length - SUMMARY_DETAILS} more`] : [])].join(", ");
  };
  return [...byReason]
    .map(([reason, details]) => (details.size === 1 && details.has("") ? `${reason} ${counted(details)}` : `${reason}: ${counted(details)}`))
    .join("; ");
}

/** The exam columns examView reads (shown, or what the status and end are derived from). */
type ExamViewSource = Pick<
  Exam,
  "id" | "name" | "status" | "scheduledAt" | "privacyPolicy" | "examType" | "durationMinutes" | "additionalMaterial" | "startedAt" | "endsAt" | "partnerStatus"
>;

export function examView(exam: ExamViewSource, now: number): z.infer<typeof ExamView> {
  return {
    exam_id: String(exam.id),
    name: exam.name,
    status: effectiveStatus(exam, now),
    scheduled_date: iso(exam.scheduledAt)!,
    privacy_policy: exam.privacyPolicy,
    exam_type: exam.examType,
    duration: exam.durationMinutes,
    additional_material: exam.additionalMaterial,
    started_at: iso(effectiveStartedAt(exam, now)),
    ends_at: iso(examEndsAt(exam))!,
  };
}

const alertView = (a: Alert): z.infer<typeof AlertView> => ({
  reason: a.reason,
  detail: a.detail,
  occurrences: a.occurrences,
  first_seen_at: iso(a.firstSeenAt)!,
  last_seen_at: iso(a.lastSeenAt)!,
});

export function instructorExamView(r: InstructorExamRows, now: number): z.infer<typeof InstructorExamView> {
  return {
    ...examView(r.exam, now),
    forbidden_processes: r.forbiddenProcesses,
    moodle_course_id: r.exam.moodleCourseId,
    security_level: r.exam.securityLevel,
    enrolled_students: r.students.map((s) => {
      const all = r.alerts.filter((a) => a.studentId === s.studentId).map(alertView);
      // The latest TIMELINE_EPISODES episodes: a device naming new processes in every report grew one student's
      // timeline to 1,000 episodes in 50 reports (a probe); the summary still counts every one.
      const timeline = all.slice(-TIMELINE_EPISODES);
      const approval = r.approvals.filter((a) => a.studentId === s.studentId).at(-1);
      return {
        name: s.name,
        surname: s.surname,
        email: s.email,
        verification_status: s.status,
        verified_by: s.verifiedBy,
        account_claimed: !s.invited,
        joined_at: iso(s.joinedAt),
        left_at: iso(s.leftAt),
        alerts: summarizeAlerts(all),
        alert_timeline: timeline,
        manual_approval: approval
          ? { reason: approval.approvalType, status: approval.status, requested_at: iso(approval.createdAt)!, decided_at: iso(approval.decidedAt) }
          : null,
        feedback: r.feedback
          .filter((f) => f.studentId === s.studentId)
          .map((f) => ({ cheat_mode: f.cheatMode, feedback: f.feedback, submitted_at: iso(f.createdAt)! })),
      };
    }),
  };
}

export function studentExamView(row: StudentExamRow, now: number): z.infer<typeof StudentExamView> {
  return {
    ...examView(row, now),
    verification_status: row.verificationStatus,
    joined_at: iso(row.joinedAt),
    left_at: iso(row.leftAt),
  };
}
