// Partner student sessions: the enrolments of an exam. The student is a TRUSTID user (role STUDENT) of
// the caller's institution, found by email or created as an invited account (no password) that the
// student claims later; the session's status is derived from what TRUSTID records (status.ts).
import { and, asc, count, eq, isNull, notExists, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { enrolments, exams, institutions, users } from "../../db/schema";
import { sessionRecordStatements } from "../erasure";
import { PartnerError } from "./errors";
import { type Scope, examQuery, findExam, foundExam } from "./exams";
import { type PendingNonce, readAfterNonce } from "./nonces";
import { idOf } from "./params";
import { selectSessions } from "./rows";
import { type SessionRow, statusOfRow } from "./serialize";
import { partnerExamStatus } from "../exams/lifecycle";
import { type Invitation, insertInvitationIfLastInserted, newInvitation } from "../invitations";

/**
 * A session just written, with the invitation token issued if its student has not claimed the account yet, and
 * what the invitation mail names when it was read on the way (institution code, exam name).
 */
export type WrittenSession = { session: SessionRow; invitation: Invitation | null; mailContext?: { institution: string; examName: string } };


/**
 * One page of the exam's sessions and their total, in one round trip: the exam, the count and the page
 * are read in one batch (with the request's pending nonce first, when given).
 */
export async function listSessions(db: Db, scope: Scope, examIdText: string, q: { page: number; limit: number }, now = Date.now(), nonce?: PendingNonce) {
  const examId = idOf(examIdText);
  if (examId === null) throw PartnerError.examNotFound(examIdText);
  const where = and(eq(enrolments.examId, examId), eq(enrolments.institutionId, scope.institutionId));
  const [examRows, total, items] = await readAfterNonce(db, nonce, [
    examQuery(db, scope, examId),
    db.select({ n: count() }).from(enrolments).where(where),
    selectSessions(db)
      .where(where)
      .orderBy(asc(enrolments.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit),
  ]);
  const exam = await foundExam(db, examRows, examIdText, now);
  // The rows carry the exam's status as stored: the clock may just have moved it (settled above).
  return { items: items.map((r) => ({ ...r, examStatus: exam.status })), total: total[0]?.n ?? 0 };
}

/** The session of the exam (404 for either), in one round trip (with the request's pending nonce first, when given). */
export async function findSession(db: Db, scope: Scope, examIdText: string, sessionIdText: string, now = Date.now(), nonce?: PendingNonce): Promise<SessionRow> {
  const examId = idOf(examIdText);
  if (examId === null) throw PartnerError.examNotFound(examIdText);
  const id = idOf(sessionIdText);
  if (id === null) {
    const [examRows] = await readAfterNonce(db, nonce, [examQuery(db, scope, examId)]);
    await foundExam(db, examRows, examIdText, now);
    throw PartnerError.sessionNotFound(sessionIdText);
  }
  const [examRows, rows] = await readAfterNonce(db, nonce, [
    examQuery(db, scope, examId),
    selectSessions(db)
      .where(and(eq(enrolments.id, id), eq(enrolments.examId, examId), eq(enrolments.institutionId, scope.institutionId)))
      .limit(1),
  ]);
  const exam = await foundExam(db, examRows, examIdText, now);
  const [row] = rows;
  if (!row) throw PartnerError.sessionNotFound(sessionIdText);
  return { ...row, examStatus: exam.status }; // the status as settled above
}

export type SessionInput = {
  name?: string;
  email?: string;
  externalId?: string;
  individualInfo?: string;
  isIndividualInfoHtml?: boolean;
  skipRequirements?: boolean;
  sendConfirmation?: boolean;
  openTime?: number;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The institution's student with this email, created as an invited account if new; whether the account is
 * still unclaimed (no password) and the institution's code (for the invitation mail), read in the same round trip.
 */
async function studentFor(db: Db, scope: Scope, email: string, name: string | undefined, now: number) {
  const normalized = email.trim().toLowerCase();
  if (!EMAIL.test(normalized) || normalized.length > 254) throw PartnerError.field("email", "is invalid");
  const fullName = (name ?? normalized.split("@")[0]!).trim();
  const [first, ...rest] = fullName.split(/\s+/);
  // The insert (if new) and the reads in one batch: one round trip.
  const [, found, institution] = await db.batch([
    db
      .insert(users)
      .values({
        institutionId: scope.institutionId,
        email: normalized,
        name: first || normalized,
        surname: rest.join(" "),
        role: "STUDENT",
        passwordHash: null, // invited: the student sets a password when claiming the account
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    db
      .select({ id: users.id, role: users.role, unclaimed: sql<number>`${users.passwordHash} is null` })
      .from(users)
      .where(and(eq(users.institutionId, scope.institutionId), eq(users.email, normalized)))
      .limit(1),
    db.select({ code: institutions.code }).from(institutions).where(eq(institutions.id, scope.institutionId)).limit(1),
  ]);
  const [user] = found;
  if (!user || user.role !== "STUDENT") throw PartnerError.field("email", "belongs to an account that is not a student");
  return { id: user.id, email: normalized, unclaimed: Boolean(user.unclaimed), institutionCode: institution[0]?.code ?? "" };
}

const sessionFields = (input: SessionInput) => {
  const set: Partial<typeof enrolments.$inferInsert> = {};
  if (input.name !== undefined) set.displayName = input.name;
  if (input.externalId !== undefined) set.externalId = input.externalId;
  if (input.individualInfo !== undefined) set.individualInfo = input.individualInfo;
  if (input.isIndividualInfoHtml !== undefined) set.isIndividualInfoHtml = input.isIndividualInfoHtml;
  if (input.skipRequirements !== undefined) set.skipRequirements = input.skipRequirements;
  if (input.sendConfirmation !== undefined) set.sendConfirmation = input.sendConfirmation;
  if (input.openTime !== undefined) set.openTime = input.openTime;
  return set;
};

const taken = () => PartnerError.field("email", "has already been taken");

/** The exam's session of this student, if any (a move to them would be a second one). */
const clashQuery = (db: Db, examId: number, studentId: number) =>
  db
    .select({ id: enrolments.id })
    .from(enrolments)
    .where(and(eq(enrolments.examId, examId), eq(enrolments.studentId, studentId)));

export async function createSession(
  db: Db,
  scope: Scope,
  examIdText: string,
  input: SessionInput & { email: string },
  now: number,
  invitationTtlHours: number,
  nonce?: PendingNonce,
): Promise<WrittenSession> {
  // The request's nonce is used up with this first read (a replay is refused before anything is written).
  const exam = await findExam(db, scope, examIdText, now, nonce);
  if (partnerExamStatus(exam) === "closed") throw PartnerError.field("exam", "is closed");
  const student = await studentFor(db, scope, input.email, input.name, now);
  // The new session, its invitation (an unclaimed account's) and the session read back, in one batch: one
  // transaction, which sees its own writes. The invitation is written only if the session was (a taken email
  // issues no token).
  const pending = student.unclaimed ? await newInvitation(scope.institutionId, student, now, invitationTtlHours) : null;
  const insert = db
    .insert(enrolments)
    .values({ institutionId: scope.institutionId, examId: exam.id, studentId: student.id, ...sessionFields(input), createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning({ id: enrolments.id });
  const readBack = selectSessions(db)
    .where(and(eq(enrolments.examId, exam.id), eq(enrolments.studentId, student.id), eq(enrolments.institutionId, scope.institutionId)))
    .limit(1);
  const [inserted, written] = pending
    ? await db.batch([insert, insertInvitationIfLastInserted(db, pending.row), readBack]).then(([i, , w]) => [i, w] as const)
    : await db.batch([insert, readBack]);
  const session = written[0];
  if (inserted.length === 0 || !session) throw taken();
  return {
    session: { ...session, examStatus: exam.status },
    invitation: pending?.invitation ?? null,
    mailContext: { institution: student.institutionCode, examName: exam.name },
  };
}

// Updates and deletes decide on the session as read, then write only if what the decision rested on is
// unchanged (the same statement checks it): a student who joins or is verified meanwhile makes the write
// miss, and the request decides again on the fresh row. So a session in progress is never deleted or
// moved to another student, and two concurrent moves to one student give one 422, never a 500.
const MAX_ATTEMPTS = 3;
const changedMeanwhile = () => PartnerError.field("status", "changed while being updated; try again");

/** The facts a status decision rests on, as a WHERE condition. */
const unchangedSince = (r: SessionRow) =>
  and(
    r.joinedAt === null ? isNull(enrolments.joinedAt) : eq(enrolments.joinedAt, r.joinedAt),
    r.leftAt === null ? isNull(enrolments.leftAt) : eq(enrolments.leftAt, r.leftAt),
    eq(enrolments.verificationStatus, r.verificationStatus),
  );

export async function updateSession(
  db: Db,
  scope: Scope,
  examIdText: string,
  sessionIdText: string,
  input: SessionInput,
  now: number,
  invitationTtlHours: number,
  nonce?: PendingNonce,
): Promise<WrittenSession> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The request's nonce is used up with the first read (a replay is refused before anything is written).
    const current = await findSession(db, scope, examIdText, sessionIdText, now, attempt === 0 ? nonce : undefined);
    const set = { ...sessionFields(input), updatedAt: now };
    const where = [eq(enrolments.id, current.id), eq(enrolments.institutionId, scope.institutionId)];
    let student: Awaited<ReturnType<typeof studentFor>> | null = null;
    let clash: ReturnType<typeof clashQuery> | null = null;
    if (input.email !== undefined && input.email.trim().toLowerCase() !== current.email) {
      // A new email is another student: only before the session has begun.
      if (statusOfRow(current) !== "registered") throw PartnerError.field("email", "can not change once the student has begun");
      student = await studentFor(db, scope, input.email, input.name ?? current.displayName ?? undefined, now);
      clash = clashQuery(db, current.examId, student.id);
      Object.assign(set, { studentId: student.id });
      // In the same statement: still not begun, and the student still not in the exam.
      where.push(unchangedSince(current)!, sql`NOT EXISTS ${clash}`);
    }
    // The session as written, read in the same batch (the transaction sees the update); a student moved in gets
    // their own invitation (if their account is unclaimed), written only if the update was (`changes() = 1`).
    const update = db.update(enrolments).set(set).where(and(...where)).returning({ id: enrolments.id, studentId: enrolments.studentId });
    const readBack = selectSessions(db).where(and(eq(enrolments.id, current.id), eq(enrolments.institutionId, scope.institutionId))).limit(1);
    const examName = db.select({ name: exams.name }).from(exams).where(eq(exams.id, current.examId)).limit(1);
    const pending = student?.unclaimed ? await newInvitation(scope.institutionId, student, now, invitationTtlHours) : null;
    const [updated, written, named] = pending
      ? await db.batch([update, insertInvitationIfLastInserted(db, pending.row), readBack, examName]).then(([u, , w, n]) => [u, w, n] as const)
      : await db.batch([update, readBack, examName]);
    const session = written[0];
    if (updated.length > 0 && session) {
      const mailContext = student ? { institution: student.institutionCode, examName: named[0]?.name ?? "" } : undefined;
      return { session, invitation: pending?.invitation ?? null, mailContext };
    }
    // Not written: the new email's student is already in the exam (a 422), or the session changed meanwhile (again).
    if (clash && (await clash.limit(1)).length > 0) throw taken();
  }
  throw changedMeanwhile();
}

export async function deleteSession(db: Db, scope: Scope, examIdText: string, sessionIdText: string, now = Date.now(), nonce?: PendingNonce) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The request's nonce is used up with the first read (a replay is refused before anything is deleted).
    const current = await findSession(db, scope, examIdText, sessionIdText, now, attempt === 0 ? nonce : undefined);
    if (statusOfRow(current) === "exam_started") throw PartnerError.field("status", "can not delete a session in progress");
    // One transaction: the session row goes only if unchanged since read, and the student's alerts, events,
    // approval requests and feedback of this exam go with it, only if the row is gone.
    const [deleted] = await db.batch([
      db
        .delete(enrolments)
        .where(and(eq(enrolments.id, current.id), eq(enrolments.institutionId, scope.institutionId), unchangedSince(current)))
        .returning({ id: enrolments.id }),
      ...sessionRecordStatements(
        db,
        { institutionId: scope.institutionId, examId: current.examId, studentId: current.studentId },
        notExists(db.select({ id: enrolments.id }).from(enrolments).where(eq(enrolments.id, current.id))),
      ),
    ]);
    if (deleted.length > 0) return current;
  }
  throw changedMeanwhile();
}
