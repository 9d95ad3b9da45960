// Partner student sessions: the enrolments of an exam. The student is a TRUSTID user (role STUDENT) of
// the caller's institution, found by email or created as an invited account (no password) that the
// student claims later; the session's status is derived from what TRUSTID records (status.ts).
import { and, asc, count, eq, exists, isNull, ne, notExists, sql } from "drizzle-orm";
import { columnName, type Db } from "../../db/client";
import { enrolments, users } from "../../db/schema";
import { sessionEventsDelete, sessionRecordStatements } from "../erasure";
import { isForeignKeyViolation } from "../../lib/errors";
import { PartnerError } from "./errors";
import { type Scope, examQuery, findExam, foundExam } from "./exams";
import { type PendingNonce, readAfterNonce } from "./nonces";
import { idOf } from "./params";
import { selectSessions } from "./rows";
import { type SessionRow, statusOfRow } from "./serialize";
import { partnerExamStatus } from "../exams/lifecycle";
import { type Invitation, insertInvitationIfLastChanged, issuedInvitation, mailContextQuery, newInvitation } from "../invitations";
import { accountByEmail, invitedStudent, isStudentWithEmail, notAStudent, studentIdByEmail, upsertStudent } from "./students";

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
  return { items: items.map((r) => ({ ...r, examStatus: exam.status, examCompletedAt: exam.completedAt })), total: total[0]?.n ?? 0 };
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
  return { ...row, examStatus: exam.status, examCompletedAt: exam.completedAt }; // the status as settled above
}

export type SessionInput = {
  name?: string;
  email?: string;
  externalId?: string;
  individualInfo?: string;
  isIndividualInfoHtml?: boolean;
  skipRequirements?: boolean;
  sendConfirmation?: boolean;
  /** null: no open time (cleared). */
  openTime?: number | null;
};

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

/**
 * The session's insert for the institution's student with this email (upserted earlier in the same batch):
 * nothing when that account is not a student, or is in the exam already (the unique conflict). Gives back the
 * new session's id. Raw SQL: drizzle's insert-select must select every column of the table, the id and the
 * defaulted ones too.
 */
function insertSessionOfStudent(db: Db, scope: Scope, email: string, values: Partial<typeof enrolments.$inferInsert>) {
  const given = Object.entries(values).map(([key, value]) => ({ column: enrolments[key as keyof typeof values], value }));
  const names = [...given.map((g) => g.column), enrolments.studentId].map(columnName);
  const params = given.map(({ column, value }) => sql.param(value, column));
  return db.all<{ id: number }>(
    sql`insert into ${enrolments} (${sql.join(names, sql`, `)})
        select ${sql.join(params, sql`, `)}, ${users.id} from ${users} where ${isStudentWithEmail(scope, email)}
        on conflict do nothing returning ${sql.identifier(enrolments.id.name)}`,
  );
}

/** The batch's results, or the 404 of an unknown exam when the exam was deleted before the batch ran. */
async function orExamGone<T>(examIdText: string, batch: Promise<T>): Promise<T> {
  try {
    return await batch;
  } catch (e) {
    if (isForeignKeyViolation(e)) throw PartnerError.examNotFound(examIdText);
    throw e;
  }
}

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
  const student = invitedStudent(scope, input.email, input.name, now);
  // Made before the batch, which tells whether the account is unclaimed; only then is the token written.
  const pending = await newInvitation(scope.institutionId, student.email, now, invitationTtlHours);
  // One batch, one transaction that sees its own writes: the account created if new; the session inserted for
  // it if it is a student not in the exam yet; the invitation written only if the session was and the account
  // is unclaimed (a taken email issues no token); then what the answer and the mail need.
  // The exam deleted meanwhile (by another request of the partner's): the session's insert breaks its foreign key,
  // the transaction writes nothing, and the answer is the 404 of an unknown exam.
  const [, inserted, invited, account, written, mailContext] = await orExamGone(examIdText, db.batch([
    upsertStudent(db, student),
    insertSessionOfStudent(db, scope, student.email, { institutionId: scope.institutionId, examId: exam.id, ...sessionFields(input), createdAt: now, updatedAt: now }),
    insertInvitationIfLastChanged(db, pending),
    accountByEmail(db, scope, student.email),
    selectSessions(db)
      .where(and(eq(enrolments.examId, exam.id), eq(enrolments.institutionId, scope.institutionId), eq(users.institutionId, scope.institutionId), eq(users.email, student.email)))
      .limit(1),
    mailContextQuery(db, exam.id),
  ]));
  if (account[0]?.role !== "STUDENT") throw notAStudent();
  const session = written[0];
  if (inserted.length === 0 || !session) throw taken();
  return { session: { ...session, examStatus: exam.status, examCompletedAt: exam.completedAt }, invitation: issuedInvitation(pending, invited), mailContext: mailContext[0] };
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
    let written: WrittenSession | null;
    if (input.email !== undefined && input.email.trim().toLowerCase() !== current.email) {
      // A new email is another student: only before the session has begun.
      if (statusOfRow(current) !== "registered") throw PartnerError.field("email", "can not change once the student has begun");
      const student = invitedStudent(scope, input.email, input.name ?? current.displayName ?? undefined, now);
      written = await moveToStudent(db, scope, current, set, student, now, invitationTtlHours);
    } else {
      written = await updateFields(db, scope, current, set);
    }
    if (written) return written;
  }
  throw changedMeanwhile();
}

/** The session as written, read in the write's batch (the transaction sees the write). */
const readBackQuery = (db: Db, scope: Scope, current: SessionRow) =>
  selectSessions(db).where(and(eq(enrolments.id, current.id), eq(enrolments.institutionId, scope.institutionId))).limit(1);

/** An update that keeps the session's student, in one round trip; null when the session is gone meanwhile. */
async function updateFields(db: Db, scope: Scope, current: SessionRow, set: Partial<typeof enrolments.$inferInsert>): Promise<WrittenSession | null> {
  const [updated, written] = await db.batch([
    db
      .update(enrolments)
      .set(set)
      .where(and(eq(enrolments.id, current.id), eq(enrolments.institutionId, scope.institutionId)))
      .returning({ id: enrolments.id }),
    readBackQuery(db, scope, current),
  ]);
  const [session] = written;
  return updated.length > 0 && session ? { session, invitation: null } : null;
}

/**
 * The session moved to the student with a new email (an invited account created if new), in one round trip;
 * null when the session changed meanwhile (the caller decides again on a fresh read).
 */
async function moveToStudent(
  db: Db,
  scope: Scope,
  current: SessionRow,
  set: Partial<typeof enrolments.$inferInsert>,
  student: ReturnType<typeof invitedStudent>,
  now: number,
  invitationTtlHours: number,
): Promise<WrittenSession | null> {
  // Made before the batch, which tells whether the account is unclaimed; only then is the token written.
  const pending = await newInvitation(scope.institutionId, student.email, now, invitationTtlHours);
  const studentId = () => studentIdByEmail(db, scope, student.email);
  // Another session of that student in this exam: a move to them would make it a second one.
  const otherSessionOfStudent = () =>
    db
      .select({ id: enrolments.id })
      .from(enrolments)
      .where(and(eq(enrolments.examId, current.examId), eq(enrolments.studentId, studentId()), ne(enrolments.id, current.id)))
      .limit(1);
  // One batch, one transaction that sees its own writes: the account created if new; the update, written only if
  // the session has still not begun, the account is a student and that student is not in the exam yet (all in
  // the statement itself); the invitation written only if the update was and the account is unclaimed; then
  // what tells a refusal's reason, and what the answer and the mail need.
  const [, moved, invited, account, clash, written, mailContext] = await db.batch([
    upsertStudent(db, student),
    db
      .update(enrolments)
      .set({ ...set, studentId: sql`${studentId()}` })
      .where(
        and(
          eq(enrolments.id, current.id),
          eq(enrolments.institutionId, scope.institutionId),
          unchangedSince(current),
          exists(studentId()),
          notExists(otherSessionOfStudent()),
        ),
      )
      .returning({ id: enrolments.id }),
    insertInvitationIfLastChanged(db, pending),
    accountByEmail(db, scope, student.email),
    otherSessionOfStudent(),
    readBackQuery(db, scope, current),
    mailContextQuery(db, current.examId),
    // The first student leaves the exam as by a session delete: their alerts, events, approval requests and feedback
    // of it go, only once the session is theirs no more (a probe's moved-away student kept them, and got them back
    // when added again).
    ...sessionRecordStatements(
      db,
      { institutionId: scope.institutionId, examId: current.examId, studentId: current.studentId },
      notExists(
        db
          .select({ id: enrolments.id })
          .from(enrolments)
          .where(and(eq(enrolments.institutionId, scope.institutionId), eq(enrolments.examId, current.examId), eq(enrolments.studentId, current.studentId))),
      ),
    ),
  ]);
  if (account[0]?.role !== "STUDENT") throw notAStudent();
  const [session] = written;
  if (moved.length > 0 && session) return { session, invitation: issuedInvitation(pending, invited), mailContext: mailContext[0] };
  if (clash.length > 0) throw taken();
  return null; // not begun any more, or changed meanwhile: decide again
}

export async function deleteSession(db: Db, scope: Scope, examIdText: string, sessionIdText: string, now = Date.now(), nonce?: PendingNonce) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The request's nonce is used up with the first read (a replay is refused before anything is deleted).
    const current = await findSession(db, scope, examIdText, sessionIdText, now, attempt === 0 ? nonce : undefined);
    if (statusOfRow(current) === "exam_started") throw PartnerError.field("status", "can not delete a session in progress");
    // One transaction: the session row goes only if unchanged since read, and the student's alerts, events,
    // approval requests and feedback of this exam, and the session's callback events, go with it, only if the row is gone.
    const gone = notExists(db.select({ id: enrolments.id }).from(enrolments).where(eq(enrolments.id, current.id)));
    const [deleted] = await db.batch([
      db
        .delete(enrolments)
        .where(and(eq(enrolments.id, current.id), eq(enrolments.institutionId, scope.institutionId), unchangedSince(current)))
        .returning({ id: enrolments.id }),
      ...sessionRecordStatements(db, { institutionId: scope.institutionId, examId: current.examId, studentId: current.studentId }, gone),
      sessionEventsDelete(db, { institutionId: scope.institutionId, examId: current.examId, enrolmentId: current.id }, gone),
    ]);
    if (deleted.length > 0) return current;
  }
  throw changedMeanwhile();
}
