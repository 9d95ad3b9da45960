// Retention of monitoring records (README "Configuration", SECURITY.md "Deletion"): an exam's monitoring events
// (the device reports and the server's checks, with their scores, IP address and running processes) and the
// alerts made of them are kept until the exam's end plus MONITORING_RETENTION_DAYS (default 365), then deleted by
// the scheduled erasure jobs (services/erasure.ts), a few exams per run. The exam itself, its enrolments and the
// students' feedback stay until the exam or the student is deleted. A black-box probe found events kept forever.
import { and, eq, exists, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { alerts, exams, monitoringEvents } from "../../db/schema";
import { DAY_MS } from "../decisions/retention";

const EXAMS_PER_RUN = 5;

/** Deletes the monitoring events and alerts of up to EXAMS_PER_RUN exams past their retention; returns how many events. */
export async function pruneMonitoring(db: Db, retentionDays: number, now: number): Promise<number> {
  const cutoff = now - retentionDays * DAY_MS;
  const examEnd = sql`coalesce(${exams.completedAt}, ${exams.scheduledAt} + ${exams.durationMinutes} * 60000)`;
  const hasEvents = db.select({ one: sql`1` }).from(monitoringEvents).where(eq(monitoringEvents.examId, exams.id));
  const hasAlerts = db.select({ one: sql`1` }).from(alerts).where(eq(alerts.examId, exams.id));
  const due = await db
    .select({ id: exams.id, institutionId: exams.institutionId })
    .from(exams)
    .where(and(lt(examEnd, cutoff), or(exists(hasEvents), exists(hasAlerts))))
    .limit(EXAMS_PER_RUN);
  let events = 0;
  for (const e of due) {
    const of = <T extends { institutionId: any; examId: any }>(t: T) => and(eq(t.institutionId, e.institutionId), eq(t.examId, e.id));
    // Alerts first: they point at their first event.
    const [, gone] = await db.batch([db.delete(alerts).where(of(alerts)), db.delete(monitoringEvents).where(of(monitoringEvents)).returning({ id: monitoringEvents.id })]);
    events += gone.length;
  }
  return events;
}
