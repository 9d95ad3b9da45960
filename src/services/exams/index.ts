// Not a home of its own: the exam services live in the files of this folder, one subject each (scope,
// lifecycle, details, roster, conditions, verification, student-reports, listings). This re-export keeps
// `services/exams` importable for code written against the former single module (src/routes/student/
// checkup-process.ts, branches merged later); new code imports the subject's file.
export { checkupProcesses, submitFeedback } from "./student-reports";
export { joinExam, leaveExam, startExam } from "./conditions";
export { createExam, MAX_DURATION_MINUTES, updateExam } from "./details";
export { effectiveStatus, type Enrolment, type Exam, examEndsAt, type ExamStatus, type ExamType, type VerificationStatus } from "./lifecycle";
export { enrolStudents, MAX_STUDENTS_PER_SYNC, syncExamStudents } from "./roster";
export { examHoldingTemplates, instructorExam, studentEnrolment } from "./scope";
export { approveStudent, markVerified, requestManualApproval, verificationStatus } from "./verification";
export type { Person } from "../../types";
