// Deletion that really deletes (SECURITY.md "Deletion"). All SQL of it lives here.
//  - A student session removed by the partner API takes that student's records of that exam with it
//    (sessionRecordStatements), and a removed exam takes all its records (examRecordStatements): explicit
//    DELETEs, so nothing depends on the database enforcing ON DELETE CASCADE.
//  - A student's whole account is erased on an operator's request (scripts/erase-student.mjs writes an
//    `erasure_requests` row; the scheduled handler calls runErasureJobs): first every database row in one
//    transaction (the student can no longer log in or refresh), then, once every access token they may
//    still hold has expired (so that nothing can write a template again), the template Durable Object and
//    whatever those tokens wrote meanwhile (decision records, events...).
import { and, eq, inArray, isNotNull, isNull, lte, notExists, or, sql, type SQL } from "drizzle-orm";
import { pruneExpiredLoginRecords, pruneLoginAttempts } from "./accounts";
import type { Db } from "../db/client";
import {
  alerts, enrolments, erasureRequests, feedback, invitations, loginAttempts, manualApprovalRequests, monitoringEvents,
  partnerCallbackOutbox, processPolicies, refreshTokenFamilies, refreshTokens, users, walletExports,
} from "../db/schema";
import { templateObject } from "../templates/client";
import { pruneDecisions, studentDecisionsDelete } from "./decisions/retention";
import { pruneMonitoring } from "./monitoring/retention";
import type { Bindings, Config } from "../env";

// Beyond the access-token lifetime, a margin for clock skew between isolates.
const TOKEN_EXPIRY_MARGIN_MS = 60_000;
const BATCH = 20;

/** The statements deleting what one student produced in one exam (its alerts first: they point at events).
 * `onlyIf` guards each statement, e.g. "the session row is gone", so that a batch whose guarded row delete
 * found the row changed deletes nothing. */
export function sessionRecordStatements(db: Db, s: { institutionId: number; examId: number; studentId: number }, onlyIf?: SQL) {
  const of = <T extends { institutionId: any; examId: any; studentId: any }>(t: T) =>
    and(eq(t.institutionId, s.institutionId), eq(t.examId, s.examId), eq(t.studentId, s.studentId), onlyIf);
  return [
    db.delete(alerts).where(of(alerts)),
    db.delete(monitoringEvents).where(of(monitoringEvents)),
    db.delete(manualApprovalRequests).where(of(manualApprovalRequests)),
    db.delete(feedback).where(of(feedback)),
  ] as const;
}

/**
 * The statement deleting a session's partner callback events, queued or not, when the partner deletes the session:
 * each quotes the session (email, external_id, individual_info), and an event about a session the caller deleted is
 * news to nobody (a probe found them still retried, and listed in the student's my_data, after the delete). `onlyIf`
 * as in sessionRecordStatements.
 */
export const sessionEventsDelete = (db: Db, s: { institutionId: number; examId: number; enrolmentId: number }, onlyIf?: SQL) =>
  db
    .delete(partnerCallbackOutbox)
    .where(
      and(
        eq(partnerCallbackOutbox.institutionId, s.institutionId),
        eq(partnerCallbackOutbox.examId, s.examId),
        eq(partnerCallbackOutbox.enrolmentId, s.enrolmentId),
        onlyIf,
      ),
    );

/** The statements deleting everything recorded for an exam, its sessions' callback events included (`onlyIf` as in
 * sessionRecordStatements). */
export function examRecordStatements(db: Db, e: { institutionId: number; examId: number }, onlyIf?: SQL) {
  const of = <T extends { institutionId: any; examId: any }>(t: T) => and(eq(t.institutionId, e.institutionId), eq(t.examId, e.examId), onlyIf);
  return [
    db.delete(partnerCallbackOutbox).where(of(partnerCallbackOutbox)),
    db.delete(alerts).where(of(alerts)),
    db.delete(monitoringEvents).where(of(monitoringEvents)),
    db.delete(manualApprovalRequests).where(of(manualApprovalRequests)),
    db.delete(feedback).where(of(feedback)),
    db.delete(processPolicies).where(of(processPolicies)),
    db.delete(enrolments).where(of(enrolments)),
  ] as const;
}

/** Deletes every row about the student (never an instructor: their exams would be orphaned) and sets the request's
 * phase mark, in one transaction. Idempotent. `email`: the account's, for its login attempts (unknown once the
 * account row is gone). */
async function eraseStudentRows(
  db: Db,
  s: { institutionId: number; studentId: number },
  email: string | undefined,
  mark: { requestId: number; set: { recordsErasedAt: number } | { templatesErasedAt: number } },
) {
  const mine = <T extends { institutionId: any; studentId: any }>(t: T) => and(eq(t.institutionId, s.institutionId), eq(t.studentId, s.studentId));
  const statements = [
    db.delete(alerts).where(mine(alerts)),
    db.delete(monitoringEvents).where(mine(monitoringEvents)),
    db.delete(manualApprovalRequests).where(mine(manualApprovalRequests)),
    db.delete(feedback).where(mine(feedback)),
    studentDecisionsDelete(db, s),
    // Callback events quote the session (name, email, individual_info): those of the student's sessions go too, also
    // of sessions the partner deleted before the erasure (no enrolment left to find them by; a probe found them kept
    // until the outbox's own pruning): every event names the student's id in its session.
    db.delete(partnerCallbackOutbox).where(
      and(
        eq(partnerCallbackOutbox.institutionId, s.institutionId),
        or(
          inArray(partnerCallbackOutbox.enrolmentId, db.select({ id: enrolments.id }).from(enrolments).where(mine(enrolments))),
          sql`json_extract(${partnerCallbackOutbox.payload}, '$.student_session.student_id') = ${s.studentId}`,
        ),
      ),
    ),
    db.delete(enrolments).where(mine(enrolments)),
    db.delete(walletExports).where(and(eq(walletExports.institutionId, s.institutionId), eq(walletExports.userId, s.studentId))),
    db.delete(invitations).where(and(eq(invitations.institutionId, s.institutionId), eq(invitations.userId, s.studentId))),
    db.delete(refreshTokens).where(
      inArray(refreshTokens.familyId, db.select({ id: refreshTokenFamilies.id }).from(refreshTokenFamilies).where(eq(refreshTokenFamilies.userId, s.studentId))),
    ),
    db.delete(refreshTokenFamilies).where(and(eq(refreshTokenFamilies.institutionId, s.institutionId), eq(refreshTokenFamilies.userId, s.studentId))),
    ...(email !== undefined ? [db.delete(loginAttempts).where(and(eq(loginAttempts.institutionId, s.institutionId), eq(loginAttempts.email, email)))] : []),
    db.delete(users).where(and(eq(users.id, s.studentId), eq(users.institutionId, s.institutionId), eq(users.role, "STUDENT"))),
    db.update(erasureRequests).set(mark.set).where(eq(erasureRequests.id, mark.requestId)),
  ];
  await db.batch(statements as unknown as [(typeof statements)[number], ...(typeof statements)[number][]]);
}

/** The first phase: every row about the student, and the request marked. */
async function eraseStudentRecords(db: Db, requestId: number, s: { institutionId: number; studentId: number }, now: number) {
  const [user] = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.id, s.studentId), eq(users.institutionId, s.institutionId), eq(users.role, "STUDENT")))
    .limit(1);
  await eraseStudentRows(db, s, user?.email, { requestId, set: { recordsErasedAt: now } });
}

export type ErasureRunResult = {
  recordsErased: number;
  templatesErased: number;
  decisionsPruned: number;
  monitoringEventsPruned: number;
  loginAttemptsPruned: number;
  loginRecordsPruned: number;
};

/** The scheduled part of erasure: due database erasures, then due template erasures. */
export async function runErasureJobs(env: Bindings, db: Db, config: Config, now: number): Promise<ErasureRunResult> {
  const result: ErasureRunResult = { recordsErased: 0, templatesErased: 0, decisionsPruned: 0, monitoringEventsPruned: 0, loginAttemptsPruned: 0, loginRecordsPruned: 0 };
  // An instructor's account is not erased here (their exams must be handed over first): such a request
  // stays pending, and is skipped so that it never holds up students' requests.
  const instructor = db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, erasureRequests.studentId), eq(users.institutionId, erasureRequests.institutionId), eq(users.role, "INSTRUCTOR")));
  const records = await db
    .select()
    .from(erasureRequests)
    .where(and(isNull(erasureRequests.recordsErasedAt), notExists(instructor)))
    .limit(BATCH);
  for (const r of records) {
    await eraseStudentRecords(db, r.id, r, now);
    result.recordsErased++;
  }
  // Decision records past their retention (docs/decisions.md): one batch per run.
  result.decisionsPruned = await pruneDecisions(db, config.decisionRetentionDays, now);
  // Monitoring events and alerts of exams past their retention (services/monitoring/retention.ts): a few exams per run.
  result.monitoringEventsPruned = await pruneMonitoring(db, config.monitoringRetentionDays, now);
  // Failed-login counters of a quiet day (services/accounts.ts), an erased student's address among them.
  result.loginAttemptsPruned = await pruneLoginAttempts(db, now);
  // Refresh-token families and invitations a day past their expiry (services/accounts.ts).
  result.loginRecordsPruned = await pruneExpiredLoginRecords(db, now);
  const ns = env.STUDENT_TEMPLATES;
  if (!ns) return result;
  const tokensExpired = now - config.accessTokenTtlSeconds * 1000 - TOKEN_EXPIRY_MARGIN_MS;
  const templates = await db
    .select()
    .from(erasureRequests)
    .where(and(isNotNull(erasureRequests.recordsErasedAt), lte(erasureRequests.recordsErasedAt, tokensExpired), isNull(erasureRequests.templatesErasedAt)))
    .limit(BATCH);
  for (const r of templates) {
    const owner = { institutionId: r.institutionId, studentId: r.studentId };
    await templateObject(ns, owner).eraseAll(owner);
    // An access token issued before the first phase could still write until it expired (SECURITY.md): decisions,
    // monitoring events, anything it wrote then goes now, with the templates, in the same transaction as the mark.
    await eraseStudentRows(db, owner, undefined, { requestId: r.id, set: { templatesErasedAt: now } });
    result.templatesErased++;
  }
  return result;
}
