// The exam lists of GET /instructor/list_exam and /student/list_exam: the rows, scoped, in display order.
// The API's shapes are built from them by the mappers in src/routes/exam-views.ts (never rows to the client).
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { alerts, enrolments, exams, feedback, manualApprovalRequests, users } from "../../db/schema";
import type { Person } from "../../types";
import { examPatternsQuery, patternsByExam } from "../process-policy";
import type { Enrolment, Exam } from "./lifecycle";

/** What the instructor's list shows of an alert (the columns it reads; not its ids or first event). */
export type Alert = Pick<typeof alerts.$inferSelect, "examId" | "studentId" | "reason" | "detail" | "occurrences" | "firstSeenAt" | "lastSeenAt">;

/** The exam columns the instructor's list shows or derives the status and end from (not all 22). */
export type InstructorExam = Pick<
  Exam,
  | "id"
  | "name"
  | "status"
  | "scheduledAt"
  | "privacyPolicy"
  | "examType"
  | "durationMinutes"
  | "additionalMaterial"
  | "startedAt"
  | "endsAt"
  | "partnerStatus"
  | "moodleCourseId"
  | "securityLevel"
>;

/** One enrolled student of an instructor's exam, with what the instructor may see of their account. */
export type RosterEntry = {
  examId: number;
  studentId: number;
  status: Enrolment["verificationStatus"];
  verifiedBy: Enrolment["verifiedBy"];
  joinedAt: number | null;
  leftAt: number | null;
  name: string;
  surname: string;
  email: string;
  /** An invited account the student has not registered yet (no password). */
  invited: boolean;
};

/** What students asked of the instructor: manual approval requests (with their reason) and feedback. */
export type ApprovalRequest = Pick<typeof manualApprovalRequests.$inferSelect, "examId" | "studentId" | "approvalType" | "status" | "createdAt" | "decidedAt">;
export type FeedbackEntry = Pick<typeof feedback.$inferSelect, "examId" | "studentId" | "cheatMode" | "feedback" | "createdAt">;

export type InstructorExamRows = {
  exam: InstructorExam;
  forbiddenProcesses: string[];
  students: RosterEntry[];
  alerts: Alert[];
  approvals: ApprovalRequest[];
  feedback: FeedbackEntry[];
};

/** The exam columns both exam lists show, or derive the status and end from (routes/exam-views.ts examView). */
const listedExamColumns = {
  id: exams.id,
  name: exams.name,
  status: exams.status,
  scheduledAt: exams.scheduledAt,
  privacyPolicy: exams.privacyPolicy,
  examType: exams.examType,
  durationMinutes: exams.durationMinutes,
  additionalMaterial: exams.additionalMaterial,
  startedAt: exams.startedAt,
  endsAt: exams.endsAt,
  partnerStatus: exams.partnerStatus,
};

/** The instructor's exams with everything the list shows of them: six reads in one batch (one round trip). */
export async function listInstructorExams(db: Db, instructor: Person): Promise<InstructorExamRows[]> {
  const mine = and(eq(exams.institutionId, instructor.institutionId), eq(exams.instructorId, instructor.userId));
  // The children are read by the same condition as the exams (a subquery), so no read waits for another.
  const myExamIds = db.select({ id: exams.id }).from(exams).where(mine);
  const [list, students, alertRows, patternRows, approvalRows, feedbackRows] = await db.batch([
    db
      .select({
        ...listedExamColumns,
        moodleCourseId: exams.moodleCourseId,
        securityLevel: exams.securityLevel,
      })
      .from(exams)
      .where(mine)
      .orderBy(asc(exams.scheduledAt), asc(exams.id)),
    db
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
      .where(and(eq(enrolments.institutionId, instructor.institutionId), inArray(enrolments.examId, myExamIds)))
      .orderBy(asc(users.surname), asc(users.name), asc(users.email)),
    db
      .select({
        examId: alerts.examId,
        studentId: alerts.studentId,
        reason: alerts.reason,
        detail: alerts.detail,
        occurrences: alerts.occurrences,
        firstSeenAt: alerts.firstSeenAt,
        lastSeenAt: alerts.lastSeenAt,
      })
      .from(alerts)
      .where(and(eq(alerts.institutionId, instructor.institutionId), inArray(alerts.examId, myExamIds)))
      .orderBy(asc(alerts.firstSeenAt), asc(alerts.id)),
    examPatternsQuery(db, instructor.institutionId, myExamIds),
    db
      .select({
        examId: manualApprovalRequests.examId,
        studentId: manualApprovalRequests.studentId,
        approvalType: manualApprovalRequests.approvalType,
        status: manualApprovalRequests.status,
        createdAt: manualApprovalRequests.createdAt,
        decidedAt: manualApprovalRequests.decidedAt,
      })
      .from(manualApprovalRequests)
      .where(and(eq(manualApprovalRequests.institutionId, instructor.institutionId), inArray(manualApprovalRequests.examId, myExamIds)))
      .orderBy(asc(manualApprovalRequests.createdAt), asc(manualApprovalRequests.id)),
    db
      .select({ examId: feedback.examId, studentId: feedback.studentId, cheatMode: feedback.cheatMode, feedback: feedback.feedback, createdAt: feedback.createdAt })
      .from(feedback)
      .where(and(eq(feedback.institutionId, instructor.institutionId), inArray(feedback.examId, myExamIds)))
      .orderBy(asc(feedback.createdAt), asc(feedback.id)),
  ]);
  const patterns = patternsByExam(patternRows);

  return list.map((exam) => ({
    exam,
    forbiddenProcesses: patterns.get(exam.id) ?? [],
    students: students.filter((s) => s.examId === exam.id).map((s) => ({ ...s, invited: Boolean(s.invited) })),
    alerts: alertRows.filter((a) => a.examId === exam.id),
    approvals: approvalRows.filter((a) => a.examId === exam.id),
    feedback: feedbackRows.filter((f) => f.examId === exam.id),
  }));
}

/**
 * One line of a student's exam list: only what GET /student/list_exam shows (routes/exam-views.ts
 * studentExamView) and what the exam's status is derived from; 14 columns instead of both whole rows (drizzle's
 * cost of building and mapping a select grows with its columns).
 */
export type StudentExamRow = Pick<
  Exam,
  "id" | "name" | "status" | "scheduledAt" | "privacyPolicy" | "examType" | "durationMinutes" | "additionalMaterial" | "startedAt" | "endsAt" | "partnerStatus"
> &
  Pick<Enrolment, "verificationStatus" | "joinedAt" | "leftAt">;

export async function listStudentExams(db: Db, student: Person): Promise<StudentExamRow[]> {
  return db
    .select({
      ...listedExamColumns,
      verificationStatus: enrolments.verificationStatus,
      joinedAt: enrolments.joinedAt,
      leftAt: enrolments.leftAt,
    })
    .from(enrolments)
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .where(and(eq(enrolments.studentId, student.userId), eq(enrolments.institutionId, student.institutionId)))
    .orderBy(asc(exams.scheduledAt), asc(exams.id));
}
