// A student's copy of their own data (GDPR Art. 15 access, Art. 20 portability): every row the service keeps
// about them, as JSON, from one database round trip, plus what their template object holds (metadata only:
// templates never leave the object, docs/wallet.md). A black-box privacy probe found no way for a student to see
// the alerts device reports raised against them, their monitoring events or their feedback.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { alerts, decisions, enrolments, exams, feedback, institutions, manualApprovalRequests, monitoringEvents, partnerCallbackOutbox, users, walletExports } from "../db/schema";
import type { Bindings } from "../env";
import { AppError } from "../lib/errors";
import type { Caller } from "../types";
import { ownerOf, templatesOf } from "../templates/client";
import { CURRENT_MODEL_IDS } from "../templates/model-ids";
import type { TemplateInfo } from "../templates/types";

/**
 * Rows per kind in one answer (newest first): a student monitored for years could otherwise make an answer of tens of
 * megabytes (a probe's 10,500 events were 10 MB, and twelve such reads at once overran the database deadline). A list
 * cut here is named in `truncated`; asking exam by exam (`examId`) gives the rest (an exam holds far fewer).
 */
export const STUDENT_DATA_LIMIT = 2_000;

export async function studentData(env: Bindings, db: Db, caller: Caller, examId?: number) {
  const mine = <T extends { institutionId: any; studentId: any; examId?: any }>(t: T) =>
    and(eq(t.institutionId, caller.institutionId), eq(t.studentId, caller.userId), examId !== undefined && t.examId ? eq(t.examId, examId) : undefined);
  const n = STUDENT_DATA_LIMIT + 1; // one more tells whether there were more
  const [account, enrolled, alertRows, events, feedbackRows, approvals, decisionRows, exportsRows, callbackRows] = await db.batch([
    db
      .select({ email: users.email, name: users.name, surname: users.surname, role: users.role, createdAt: users.createdAt, organization: institutions.code })
      .from(users)
      .innerJoin(institutions, eq(institutions.id, users.institutionId))
      .where(and(eq(users.id, caller.userId), eq(users.institutionId, caller.institutionId))),
    db
      .select({
        examId: enrolments.examId, examName: exams.name, scheduledAt: exams.scheduledAt, verificationStatus: enrolments.verificationStatus,
        verifiedBy: enrolments.verifiedBy, verifiedAt: enrolments.verifiedAt, joinedAt: enrolments.joinedAt, leftAt: enrolments.leftAt,
        displayName: enrolments.displayName, createdAt: enrolments.createdAt,
        // What a partner's session keeps (individual_info may be health data: "needs extra time"; a probe found it missing here).
        externalId: enrolments.externalId, individualInfo: enrolments.individualInfo, isIndividualInfoHtml: enrolments.isIndividualInfoHtml,
        skipRequirements: enrolments.skipRequirements, sendConfirmation: enrolments.sendConfirmation, openTime: enrolments.openTime,
        partnerStatus: enrolments.partnerStatus,
      })
      .from(enrolments)
      .innerJoin(exams, eq(exams.id, enrolments.examId))
      .where(mine(enrolments))
      .orderBy(desc(enrolments.id))
      .limit(n),
    db.select().from(alerts).where(mine(alerts)).orderBy(desc(alerts.id)).limit(n),
    db
      .select({ examId: monitoringEvents.examId, source: monitoringEvents.source, monitoringType: monitoringEvents.monitoringType, payload: monitoringEvents.payload, createdAt: monitoringEvents.createdAt })
      .from(monitoringEvents)
      .where(mine(monitoringEvents))
      .orderBy(desc(monitoringEvents.id))
      .limit(n),
    db.select().from(feedback).where(mine(feedback)).orderBy(desc(feedback.id)).limit(n),
    db.select().from(manualApprovalRequests).where(mine(manualApprovalRequests)).orderBy(desc(manualApprovalRequests.id)).limit(n),
    // Newest first by time: decision ids are random (a probe saw the list shuffled, and a cut at the limit kept any rows).
    db.select().from(decisions).where(mine(decisions)).orderBy(desc(decisions.createdAt)).limit(n),
    db
      // Every column but the sealed copy itself (the wallet's): the push token and what became of the notice are data kept about the student too.
      .select({
        id: walletExports.id, biometricType: walletExports.biometricType, modelId: walletExports.modelId, templateVersion: walletExports.templateVersion,
        createdAt: walletExports.createdAt, expiresAt: walletExports.expiresAt, pushToken: walletExports.pushToken, pushStatus: walletExports.pushStatus,
        pushTicketId: walletExports.pushTicketId, pushError: walletExports.pushError, pushAttempts: walletExports.pushAttempts,
        nextAttemptAt: walletExports.nextAttemptAt, pushUpdatedAt: walletExports.pushUpdatedAt,
        fetchedAt: walletExports.fetchedAt, returnedAt: walletExports.returnedAt,
      })
      .from(walletExports)
      .where(and(eq(walletExports.institutionId, caller.institutionId), eq(walletExports.userId, caller.userId)))
      .orderBy(desc(walletExports.createdAt))
      .limit(n),
    // Events queued for the institution's system about the student's sessions: each quotes the session (email, name,
    // individual_info), found by the student id it names, as erasure finds them.
    db
      .select({ id: partnerCallbackOutbox.id, examId: partnerCallbackOutbox.examId, payload: partnerCallbackOutbox.payload, createdAt: partnerCallbackOutbox.createdAt, expiresAt: partnerCallbackOutbox.expiresAt, deliveredAt: partnerCallbackOutbox.deliveredAt, failedAt: partnerCallbackOutbox.failedAt })
      .from(partnerCallbackOutbox)
      .where(
        and(
          eq(partnerCallbackOutbox.institutionId, caller.institutionId),
          sql`json_extract(${partnerCallbackOutbox.payload}, '$.student_session.student_id') = ${caller.userId}`,
          examId !== undefined ? eq(partnerCallbackOutbox.examId, examId) : undefined,
        ),
      )
      .orderBy(desc(partnerCallbackOutbox.createdAt))
      .limit(n),
  ]);
  const me = account[0];
  if (!me) throw AppError.notFound("user", String(caller.userId), "The account no longer exists");
  let templates: TemplateInfo[] | null = null;
  let enrolmentSessions: { biometricType: string; lastAddedAt: number; expiresAt: number }[] | null = null;
  try {
    const owner = ownerOf(caller);
    const store = templatesOf(env, owner);
    [templates, enrolmentSessions] = await Promise.all([store.list(owner, CURRENT_MODEL_IDS), store.enrolmentSessions(owner)]);
  } catch (e) {
    // A server without biometrics (503) still answers the rest; `biometric_templates` is then null.
    if (!(e instanceof AppError && e.status === 503)) throw e;
  }
  const cut = <T>(rows: T[]) => rows.slice(0, STUDENT_DATA_LIMIT);
  const truncated = Object.entries({ enrolments: enrolled, alerts: alertRows, monitoring_events: events, feedback: feedbackRows, manual_approval_requests: approvals, decisions: decisionRows, wallet_exports: exportsRows, partner_callbacks: callbackRows })
    .filter(([, rows]) => rows.length > STUDENT_DATA_LIMIT)
    .map(([k]) => k);
  return {
    account: me,
    enrolments: cut(enrolled),
    alerts: cut(alertRows),
    monitoringEvents: cut(events),
    feedback: cut(feedbackRows),
    manualApprovalRequests: cut(approvals),
    decisions: cut(decisionRows),
    walletExports: cut(exportsRows),
    partnerCallbacks: cut(callbackRows),
    templates,
    enrolmentSessions,
    truncated,
  };
}
