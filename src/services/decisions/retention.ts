// Retention of decision records (docs/decisions.md): a record is kept until its exam's end plus
// DECISION_RETENTION_DAYS (default 365), or, outside an exam or when the exam is gone, its own time plus
// that period: max(created_at, exam end) + retention. Pruned by the scheduled erasure jobs
// (services/erasure.ts), a batch at a time; a student's erasure deletes theirs at once.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decisions, exams } from "../../db/schema";

export const DAY_MS = 86_400_000;
const BATCH = 500;

/** Deletes up to one batch of records past their retention; returns how many. */
export async function pruneDecisions(db: Db, retentionDays: number, now: number): Promise<number> {
  const cutoff = now - retentionDays * DAY_MS;
  const examEnd = sql`(SELECT ${exams.scheduledAt} + ${exams.durationMinutes} * 60000 FROM ${exams} WHERE ${exams.id} = ${decisions.examId} AND ${exams.institutionId} = ${decisions.institutionId})`;
  // created_at < cutoff first (indexed): only those can be due, whatever their exam's end.
  const due = db
    .select({ id: decisions.id })
    .from(decisions)
    .where(and(lt(decisions.createdAt, cutoff), sql`coalesce(${examEnd}, 0) < ${cutoff}`))
    .limit(BATCH);
  const gone = await db.delete(decisions).where(inArray(decisions.id, due)).returning({ id: decisions.id });
  return gone.length;
}

/** The statement deleting every decision about one student (their erasure). */
export const studentDecisionsDelete = (db: Db, s: { institutionId: number; studentId: number }) =>
  db.delete(decisions).where(and(eq(decisions.institutionId, s.institutionId), eq(decisions.studentId, s.studentId)));
