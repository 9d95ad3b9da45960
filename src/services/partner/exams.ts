// Partner exams: the institution's TRUSTID exams seen through ProctorExam's `exams` resource. Every
// query is scoped to the caller's institution; another institution's exam id is an unknown id (404).
import { and, asc, eq, isNull, ne, notExists } from "drizzle-orm";
import type { Db } from "../../db/client";
import { exams, users } from "../../db/schema";
import { SERVICE_EMAIL_DOMAIN } from "../../lib/email";
import { examRecordStatements } from "../erasure";
import { PartnerError } from "./errors";
import { idOf } from "./params";
import type { ExamRow } from "./serialize";
import { effectiveStatus, examEndsAt, type PartnerExamStatus, partnerExamStatus, partnerExamStatusChange, settle, settledFields } from "../exams/lifecycle";
import { type PendingNonce, readAfterNonce } from "./nonces";
import { syncSessionStatuses } from "./outbox";

export type Scope = { institutionId: number };

const examColumns = {
  id: exams.id,
  institutionId: exams.institutionId,
  name: exams.name,
  examType: exams.examType,
  durationMinutes: exams.durationMinutes,
  scheduledAt: exams.scheduledAt,
  endsAt: exams.endsAt,
  status: exams.status,
  partnerStatus: exams.partnerStatus,
  partnerType: exams.partnerType,
  startedAt: exams.startedAt,
  completedAt: exams.completedAt,
  createdAt: exams.createdAt,
  updatedAt: exams.updatedAt,
};

/** The exam's row, scoped to the caller (a statement, to run alone or in a batch). */
export const examQuery = (db: Db, scope: Scope, id: number) =>
  db.select(examColumns).from(exams).where(and(eq(exams.id, id), eq(exams.institutionId, scope.institutionId))).limit(1);

/** The account that owns a partner exam created without `instructor_email` (no person: it signs nobody in). */
export const partnerApiEmail = (institutionId: number) => `partner-api+${institutionId}@${SERVICE_EMAIL_DOMAIN}`;

/** The exam found by examQuery, its status settled by the clock (lifecycle.ts); 404 when there is none. */
export async function foundExam(db: Db, rows: ExamRow[], idText: string, now: number): Promise<ExamRow> {
  const [row] = rows;
  if (!row) throw PartnerError.examNotFound(idText);
  return settle(db, row, now);
}

/**
 * The exam, its status settled by the clock (lifecycle.ts: an open exam starts, any exam ends). With the
 * request's pending nonce, the nonce is used up in the same batch (one round trip).
 */
export async function findExam(db: Db, scope: Scope, idText: string, now = Date.now(), nonce?: PendingNonce): Promise<ExamRow> {
  const id = idOf(idText);
  if (id === null) throw PartnerError.examNotFound(idText);
  const [rows] = await readAfterNonce(db, nonce, [examQuery(db, scope, id)]);
  return foundExam(db, rows, idText, now);
}

/**
 * One page of the institution's exams (optionally of one partner status) and their total, in one round trip
 * (with the request's pending nonce first, when given). The partner status is derived (lifecycle.ts), so the
 * filter runs here over every exam of the institution, read whole (an exam row is small).
 */
export async function listExams(db: Db, scope: Scope, q: { status?: PartnerExamStatus; page: number; limit: number }, now = Date.now(), nonce?: PendingNonce) {
  const [all] = await readAfterNonce(db, nonce, [db.select(examColumns).from(exams).where(eq(exams.institutionId, scope.institutionId)).orderBy(asc(exams.id))]);
  const matching = q.status ? all.filter((e) => partnerExamStatus({ ...e, status: effectiveStatus(e, now) }) === q.status) : all;
  const page = matching.slice((q.page - 1) * q.limit, q.page * q.limit);
  const items = await Promise.all(page.map((r) => settle(db, r, now)));
  return { items, total: matching.length };
}

export type ExamInput = {
  name?: string;
  status?: PartnerExamStatus;
  type?: string;
  examType?: "Oral" | "Written";
  duration?: number;
  startTime?: number;
  endTime?: number;
  instructorEmail?: string;
};

/**
 * The instructor a partner-created exam belongs to: the one named, or the institution's API account (created
 * with the institution's first such exam). With the request's pending nonce, it is used up in the lookup's batch.
 */
async function instructorFor(db: Db, scope: Scope, email: string | undefined, now: number, nonce?: PendingNonce): Promise<number> {
  // An account nobody can log in to (no password; an address that cannot receive mail).
  const apiEmail = partnerApiEmail(scope.institutionId);
  const lookup = db
    .select({ id: users.id })
    .from(users)
    .where(
      email !== undefined
        ? and(eq(users.institutionId, scope.institutionId), eq(users.email, email.toLowerCase()), eq(users.role, "INSTRUCTOR"))
        : // Never an account someone registered with a password (register_user refuses the address since 2026-12-06; a
          // probe registered it first and owned every exam the partner then created without an instructor).
          and(eq(users.institutionId, scope.institutionId), eq(users.email, apiEmail), eq(users.role, "INSTRUCTOR"), isNull(users.passwordHash)),
    )
    .limit(1);
  const [[found]] = await readAfterNonce(db, nonce, [lookup]);
  if (found) return found.id;
  if (email !== undefined) throw PartnerError.field("instructor_email", "is not an instructor of this institution");
  const [, [created]] = await db.batch([
    db
      .insert(users)
      .values({ institutionId: scope.institutionId, email: apiEmail, name: "Partner", surname: "API", role: "INSTRUCTOR", passwordHash: null, createdAt: now, updatedAt: now })
      .onConflictDoNothing(),
    lookup,
  ]);
  if (!created) throw PartnerError.field("instructor_email", "is required: the institution's API account address is held by another account (SECURITY.md, known limitations)");
  return created.id;
}

function checkTimes(start: number, end: number | null) {
  // A window of no length is no window: the same 422 as an end before the start.
  if (end !== null && end <= start) throw PartnerError.field("end_time", "must be after start_time");
}

export async function createExam(db: Db, scope: Scope, input: ExamInput & { name: string }, now: number, nonce?: PendingNonce): Promise<ExamRow> {
  const start = input.startTime ?? now;
  const durationMinutes = input.duration ?? 60;
  checkTimes(start, input.endTime ?? null);
  if (input.status === "closed") throw PartnerError.field("status", "can not be closed on creation");
  // A window already over would make an exam born closed, which `status` may not ask for either (a probe's
  // start_time of 1 made one).
  if ((input.endTime ?? start + durationMinutes * 60_000) <= now) {
    throw PartnerError.field(input.endTime !== undefined ? "end_time" : "start_time", "puts the exam's end in the past; an exam can not be closed on creation");
  }
  // The request's nonce is used up with this first read (a replay is refused before anything is written).
  const instructorId = await instructorFor(db, scope, input.instructorEmail, now, nonce);
  const timing = {
    status: "Upcoming" as const,
    scheduledAt: start,
    durationMinutes,
    endsAt: input.endTime ?? null,
    partnerStatus: input.status ?? "open",
  };
  const [row] = await db
    .insert(exams)
    .values({
      institutionId: scope.institutionId,
      instructorId,
      name: input.name,
      examType: input.examType ?? "Written",
      privacyPolicy: "",
      partnerType: input.type ?? "classic",
      createdAt: now,
      updatedAt: now,
      ...timing,
      // Created open with its window already come, it runs (or has ended): stored settled (lifecycle.ts).
      ...settledFields(timing, now),
    })
    .returning(examColumns);
  return row!;
}

/**
 * Returns the updated exam and how many callback events the change queued. A status change is written only if the
 * status it was decided on is unchanged; when another request changed it meanwhile (the same close sent twice at
 * once, a retry overlapping its first try), the change is decided again on the fresh row, as a request sent after
 * it would be: closing a closed exam is a 200, not a 422.
 */
/**
 * What a closed exam refuses to change, by input and parameter name (status: partnerExamStatusChange). Its
 * instructor may still change: contests of its decisions wait for one (docs/decisions.md).
 */
const CLOSED_EXAM_FIELDS = [
  ["name", "name", "name"], ["type", "type", "partnerType"], ["examType", "exam_type", "examType"], ["duration", "duration", "durationMinutes"],
  ["startTime", "start_time", "scheduledAt"], ["endTime", "end_time", "endsAt"],
] as const satisfies readonly (readonly [keyof ExamInput, string, keyof ExamRow])[];

export async function updateExam(db: Db, scope: Scope, idText: string, input: ExamInput, now: number, callbackExpiryMs: number, nonce?: PendingNonce) {
  let instructorId: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    // The request's nonce is used up with the first read (a replay is refused before anything is written).
    const current = await findExam(db, scope, idText, now, attempt === 0 ? nonce : undefined);
    // A closed exam's record is final, as on TRUSTID's update_exam_details (a probe moved one's window past its end).
    if (current.status === "Completed") {
      // A value sent back unchanged is no change (a client saving the whole exam back).
      const changed = CLOSED_EXAM_FIELDS.find(([key, , column]) => input[key] !== undefined && input[key] !== current[column]);
      if (changed) throw PartnerError.field(changed[1], "can not be changed on a closed exam");
    }
    if (input.instructorEmail !== undefined) instructorId ??= await instructorFor(db, scope, input.instructorEmail, now);
    const set: Partial<typeof exams.$inferInsert> = { updatedAt: now };
    if (input.name !== undefined) set.name = input.name;
    if (input.type !== undefined) set.partnerType = input.type;
    if (input.examType !== undefined) set.examType = input.examType;
    if (input.duration !== undefined) set.durationMinutes = input.duration;
    if (input.startTime !== undefined) set.scheduledAt = input.startTime;
    if (input.endTime !== undefined) set.endsAt = input.endTime;
    if (instructorId !== undefined) set.instructorId = instructorId;
    const start = set.scheduledAt ?? current.scheduledAt;
    checkTimes(start, set.endsAt ?? current.endsAt);
    const end = examEndsAt({ scheduledAt: start, durationMinutes: set.durationMinutes ?? current.durationMinutes, endsAt: set.endsAt ?? current.endsAt });
    // A window moved into the past ends the exam now, not at that past moment (before it had started, a probe saw).
    const timed = input.startTime !== undefined || input.endTime !== undefined || input.duration !== undefined;
    if (timed && end <= now) set.endsAt = now;
    const where = [eq(exams.id, current.id), eq(exams.institutionId, scope.institutionId)];
    if (input.status !== undefined) {
      const change = partnerExamStatusChange(current, input.status, now);
      if ("error" in change) throw PartnerError.field("status", change.error);
      Object.assign(set, change.set);
      // Closing a begun exam ends it now: a window still ahead ends here too (a probe's close with a later end_time
      // kept it); an exam never begun keeps its window.
      if (set.status === "Completed" && current.status !== "Completed" && end > now && start <= now) set.endsAt = now;
      // The change was decided on the status read: written only if it is still that status.
      where.push(eq(exams.status, current.status));
    }
    const [row] = await db
      .update(exams)
      .set(set)
      .where(and(...where))
      .returning(examColumns);
    if (!row) continue; // deleted (the next read answers 404) or its status changed meanwhile: decide again
    // Opening an exam whose window has come starts it; a new end_time in the past ends it.
    const settled = await settle(db, row, now);
    // Closing (or starting) an exam changes its sessions' statuses: report those changes.
    const changed = settled.status !== current.status;
    const queued = changed ? await syncSessionStatuses(db, { institutionId: scope.institutionId, examId: current.id }, now, callbackExpiryMs) : 0;
    return { exam: settled, queued };
  }
  await findExam(db, scope, idText); // 404 when it was deleted meanwhile
  throw PartnerError.field("status", "changed while being updated; try again");
}

/** Deletes the exam with its sessions (and their TRUSTID records); an exam in progress is kept. */
export async function deleteExam(db: Db, scope: Scope, idText: string, now = Date.now(), nonce?: PendingNonce): Promise<ExamRow> {
  for (let attempt = 0; attempt < 3; attempt++) {
    // 404 when someone else deleted it meanwhile; the request's nonce is used up with the first read.
    const current = await findExam(db, scope, idText, now, attempt === 0 ? nonce : undefined);
    if (current.status === "Started") throw PartnerError.field("status", "can not delete an exam in progress");
    // One transaction: the exam row goes only if it has not started meanwhile (the check again in the
    // statement itself), and its records and its sessions' callback events only if the exam row is gone.
    const gone = notExists(db.select({ id: exams.id }).from(exams).where(eq(exams.id, current.id)));
    const [deleted] = await db.batch([
      db
        .delete(exams)
        .where(and(eq(exams.id, current.id), eq(exams.institutionId, scope.institutionId), ne(exams.status, "Started")))
        .returning({ id: exams.id }),
      ...examRecordStatements(db, { institutionId: scope.institutionId, examId: current.id }, gone),
    ]);
    if (deleted.length > 0) return current;
  }
  throw PartnerError.field("status", "changed while being deleted; try again");
}
