// Monitoring records are kept until their exam's end plus MONITORING_RETENTION_DAYS, then deleted by the scheduled
// jobs (src/services/monitoring/retention.ts); the exam, its enrolments and feedback stay. Found by a black-box
// probe: events with scores, IP addresses and process lists were kept forever.
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, enrolments, exams, monitoringEvents } from "../../../src/db/schema";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { DAY_MS } from "../../../src/services/decisions/retention";
import { pruneMonitoring } from "../../../src/services/monitoring/retention";
import { api } from "../api";
import { db, startedExamWithStudent } from "./support";

async function examWithRecords() {
  const { student, examId } = await startedExamWithStudent();
  const report = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, is_face_detected: false, running_processes: "chrome.exe" } });
  expect(report.status, JSON.stringify(report.body)).toBe(200);
  return examId;
}

const countOf = async (examIds: number[]) => ({
  events: (await db().select({ id: monitoringEvents.id }).from(monitoringEvents).where(inArray(monitoringEvents.examId, examIds))).length,
  alerts: (await db().select({ id: alerts.id }).from(alerts).where(inArray(alerts.examId, examIds))).length,
  enrolments: (await db().select({ id: enrolments.id }).from(enrolments).where(inArray(enrolments.examId, examIds))).length,
});

describe("monitoring retention", () => {
  it("deletes the events and alerts of exams that ended more than the retention period ago, keeps the rest", async () => {
    const now = Date.now();
    const old = await examWithRecords();
    const recent = await examWithRecords();
    // The old exam ended 400 days ago; the recent one 100 days ago.
    await db().update(exams).set({ scheduledAt: now - 400 * DAY_MS, completedAt: now - 400 * DAY_MS + 3_600_000, status: "Completed" }).where(eq(exams.id, old));
    await db().update(exams).set({ scheduledAt: now - 100 * DAY_MS, completedAt: now - 100 * DAY_MS + 3_600_000, status: "Completed" }).where(eq(exams.id, recent));
    expect(await countOf([old])).toEqual({ events: 1, alerts: 1, enrolments: 1 });

    // Other tests' old exams may be pruned in the same runs: run until this one is done.
    for (let i = 0; i < 20 && (await countOf([old])).events > 0; i++) await pruneMonitoring(db(), 365, now);
    expect(await countOf([old])).toEqual({ events: 0, alerts: 0, enrolments: 1 });
    expect(await countOf([recent])).toEqual({ events: 1, alerts: 1, enrolments: 1 });
    // A shorter period reaches the recent exam too.
    for (let i = 0; i < 20 && (await countOf([recent])).events > 0; i++) await pruneMonitoring(db(), 30, now);
    expect(await countOf([recent])).toEqual({ events: 0, alerts: 0, enrolments: 1 });
  });
});
