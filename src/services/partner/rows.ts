// The student-session row: an enrolment with its student, its exam's status and its alert count, as
// the serializer and the status mapper read it (shared by sessions.ts and outbox.ts).
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { alerts, enrolments, exams, users } from "../../db/schema";

export const sessionColumns = {
  id: enrolments.id,
  examId: enrolments.examId,
  studentId: enrolments.studentId,
  email: users.email,
  userName: users.name,
  userSurname: users.surname,
  displayName: enrolments.displayName,
  externalId: enrolments.externalId,
  individualInfo: enrolments.individualInfo,
  isIndividualInfoHtml: enrolments.isIndividualInfoHtml,
  skipRequirements: enrolments.skipRequirements,
  sendConfirmation: enrolments.sendConfirmation,
  openTime: enrolments.openTime,
  verificationStatus: enrolments.verificationStatus,
  joinedAt: enrolments.joinedAt,
  leftAt: enrolments.leftAt,
  createdAt: enrolments.createdAt,
  updatedAt: enrolments.updatedAt,
  examStatus: exams.status,
  examCompletedAt: exams.completedAt,
  verifiedAt: enrolments.verifiedAt,
  alertCount: sql<number>`(select count(*) from ${alerts} where ${alerts.examId} = ${enrolments.examId} and ${alerts.studentId} = ${enrolments.studentId})`.mapWith(Number),
};

/** Session rows joined with their student and exam, for the given condition. */
export const selectSessions = (db: Db) =>
  db.select(sessionColumns).from(enrolments).innerJoin(users, eq(users.id, enrolments.studentId)).innerJoin(exams, eq(exams.id, enrolments.examId));

