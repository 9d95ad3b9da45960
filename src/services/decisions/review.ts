// Human oversight (EU AI Act Art. 14, GDPR Art. 22(3)): the student contests a decision of an exam with a
// short text, the exam's instructor resolves it (upheld / overturned, with a reason). An overturned decision
// changes what it caused, in the same batch as the resolution:
//  - a verification (or identification) that refused the student: the enrolment becomes Verified (by manual
//    decision); one that accepted them: a face verification is withdrawn (back to Pending);
//  - a monitoring check: each alert it raised loses this occurrence (an episode left with none is removed).
// Both steps are stored on the record (who, when, why); neither is ever undone.
import { and, eq, gte, isNull, lte, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { alerts, decisions, enrolments, exams, manualApprovalRequests, users } from "../../db/schema";
import { partnerApiEmail } from "../partner/exams";
import { AppError } from "../../lib/errors";
import type { Person } from "../../types";
import { instructorExam } from "../exams/scope";
import type { DecisionRow, RaisedAlertRef } from "./record";

export const MAX_CONTEST_LENGTH = 2000;
export const MAX_REASON_LENGTH = 2000;

export const decisionNotFound = (id: string) => AppError.notFound("decision", id, "Decision not found");

/**
 * The student contests one of their own decisions (404 for anyone else's: same body as an unknown id).
 * `reviewerNamed`: false while the exam belongs to the partner API account (created without `instructor_email`):
 * the contest waits until the institution's system names an instructor.
 */
export async function contestDecision(db: Db, student: Person, id: string, text: string, now: number): Promise<{ row: DecisionRow; reviewerNamed: boolean }> {
  const mine = and(eq(decisions.id, id), eq(decisions.institutionId, student.institutionId), eq(decisions.studentId, student.userId));
  const [found] = await db
    .select({ row: decisions, examStillThere: exams.id, instructorEmail: users.email })
    .from(decisions)
    .leftJoin(exams, and(eq(exams.id, decisions.examId), eq(exams.institutionId, decisions.institutionId)))
    .leftJoin(users, eq(users.id, exams.instructorId))
    .where(mine)
    .limit(1);
  if (!found) throw decisionNotFound(id);
  const { row } = found;
  if (row.examId === null) {
    throw AppError.badField("decision_id", "Only decisions taken in an exam can be contested (an instructor reviews them); outside an exam, simply try again.");
  }
  // Decisions outlive their exam (a partner system may delete it): nobody could review a contest then (a probe's was
  // accepted with "your instructor will review it").
  if (found.examStillThere === null) {
    throw AppError.badField("decision_id", "The exam of this decision has been deleted, so no instructor can review it; ask your institution.");
  }
  const [updated] = await db
    .update(decisions)
    .set({ contestText: text, contestedAt: now })
    .where(and(mine, isNull(decisions.contestedAt)))
    .returning();
  if (!updated) throw AppError.alreadyExists("decision_id", "This decision has already been contested.");
  return { row: updated, reviewerNamed: found.instructorEmail !== partnerApiEmail(student.institutionId) };
}

/** The exam's instructor resolves a contested decision. */
export async function resolveDecision(
  db: Db,
  instructor: Person,
  input: { id: string; resolution: "upheld" | "overturned"; reason: string },
  now: number,
): Promise<DecisionRow> {
  const [row] = await db
    .select()
    .from(decisions)
    .where(and(eq(decisions.id, input.id), eq(decisions.institutionId, instructor.institutionId)))
    .limit(1);
  if (!row || row.examId === null) throw decisionNotFound(input.id);
  // Another instructor's exam answers exactly like an unknown decision.
  await instructorExam(db, instructor, row.examId, now).catch((e: unknown) => {
    throw e instanceof AppError && e.status === 404 ? decisionNotFound(input.id) : e;
  });
  if (row.contestedAt === null) throw AppError.badField("decision_id", "This decision has not been contested.");
  if (row.resolution !== null) throw AppError.alreadyExists("decision_id", "This decision has already been resolved.");

  const resolve = db
    .update(decisions)
    .set({ resolution: input.resolution, resolutionReason: input.reason, resolvedBy: instructor.userId, resolvedAt: now })
    .where(and(eq(decisions.id, row.id), isNull(decisions.resolution)))
    .returning();
  // The effects run only when THIS batch resolved the record (a concurrent resolution makes them no-ops).
  const resolvedHere = sql`EXISTS (SELECT 1 FROM ${decisions} WHERE ${decisions.id} = ${row.id} AND ${decisions.resolvedAt} = ${now} AND ${decisions.resolvedBy} = ${instructor.userId} AND ${decisions.resolution} = 'overturned')`;
  const effects = input.resolution === "overturned" ? overturnEffects(db, row as DecisionRow & { examId: number }, now, instructor.userId, resolvedHere) : [];
  const [updated] = await db.batch([resolve, ...effects]);
  const done = updated[0];
  if (!done) throw AppError.alreadyExists("decision_id", "This decision has already been resolved.");
  return done;
}

function overturnEffects(db: Db, d: DecisionRow & { examId: number }, now: number, by: number, onlyIf: ReturnType<typeof sql>) {
  const enrolment = and(eq(enrolments.institutionId, d.institutionId), eq(enrolments.examId, d.examId), eq(enrolments.studentId, d.studentId));
  if (d.action === "verify" || d.action === "identification") {
    if (d.outcome !== "accepted") {
      return [
        db
          .update(enrolments)
          .set({ verificationStatus: "Verified", verifiedAt: now, verifiedBy: "manual" })
          .where(and(enrolment, ne(enrolments.verificationStatus, "Verified"), onlyIf)),
        // Verified by the face since: the person's confirmation now stands behind it, as a manual approval given after
        // a match does (exams/verification.ts), so overturning that match later leaves them verified; when stays as it was.
        db
          .update(enrolments)
          .set({ verifiedBy: "manual" })
          .where(and(enrolment, eq(enrolments.verificationStatus, "Verified"), eq(enrolments.verifiedBy, "face"), onlyIf)),
        db
          .update(manualApprovalRequests)
          .set({ status: "Approved", decidedAt: now, decidedBy: by })
          .where(and(eq(manualApprovalRequests.institutionId, d.institutionId), eq(manualApprovalRequests.examId, d.examId), eq(manualApprovalRequests.studentId, d.studentId), eq(manualApprovalRequests.status, "Requested"), onlyIf)),
      ];
    }
    // An accepted face match found wrong: the student must be verified again (a manual approval stays).
    return [
      db.update(enrolments).set({ verificationStatus: "Pending", verifiedAt: null, verifiedBy: null }).where(and(enrolment, eq(enrolments.verifiedBy, "face"), onlyIf)),
    ];
  }
  if (d.action === "monitoring") {
    return ((d.alertsRaised ?? []) as RaisedAlertRef[]).flatMap((a) => {
      const episode = and(
        eq(alerts.institutionId, d.institutionId),
        eq(alerts.examId, d.examId),
        eq(alerts.studentId, d.studentId),
        eq(alerts.reason, a.reason),
        a.detail === null ? isNull(alerts.detail) : eq(alerts.detail, a.detail),
        lte(alerts.firstSeenAt, d.createdAt),
        gte(alerts.lastSeenAt, d.createdAt),
      );
      const one = sql`(SELECT ${alerts.id} FROM ${alerts} WHERE ${episode} ORDER BY ${alerts.firstSeenAt} DESC LIMIT 1)`;
      return [
        db.update(alerts).set({ occurrences: sql`${alerts.occurrences} - 1` }).where(and(eq(alerts.id, one), onlyIf)),
        db.delete(alerts).where(and(episode, lte(alerts.occurrences, 0))),
      ];
    });
  }
  return [];
}
