// Many monitoring events for one exam at once: 20 students each send 10 device reports, all 200 in flight
// together. Every accepted report is stored exactly once, and the alerts are de-duplicated into exactly one
// episode per student and problem with the right number of occurrences (the alert writes share the event's
// transaction: src/services/monitoring/results.ts).
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, monitoringEvents } from "../../../src/db/schema";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { addExam, condition, db, enrol } from "../exams/support";

const STUDENTS = 20;
const REPORTS_EACH = 10;

describe("concurrent monitoring reports for one exam", () => {
  it("stores each accepted report once and counts every occurrence in one episode", { timeout: 60_000 }, async () => {
    const teacher = await newSession("INSTRUCTOR");
    const students = await Promise.all(Array.from({ length: STUDENTS }, () => newSession("STUDENT")));
    const examId = await addExam(teacher.access, { forbidden_processes: ["anydesk*"] });
    await enrol(teacher.access, examId, students.map((s) => s.user.email));
    expect((await condition(teacher.access, examId, "Start")).status).toBe(200);

    // Report j of student i: no face every time, a forbidden process every other time; the confidence score
    // marks the report so that each stored event can be traced back to exactly one request.
    const marker = (i: number, j: number) => i * 1000 + j;
    const sent = students.flatMap((s, i) =>
      Array.from({ length: REPORTS_EACH }, (_, j) => ({
        i,
        j,
        request: api(monitoringRoute, {
          token: s.access,
          json: {
            exam_id: examId,
            is_face_detected: false,
            confidence_score: marker(i, j),
            running_processes: j % 2 === 0 ? "chrome.exe,AnyDesk.exe" : "chrome.exe",
          },
        }),
      })),
    );
    const answers = await Promise.all(sent.map(async (s) => ({ ...s, res: await s.request })));
    for (const a of answers) {
      expect(a.res.status, JSON.stringify(a.res.body)).toBe(200);
      expect(bodyAt(a.res, 200).resource_array).toEqual(a.j % 2 === 0 ? ["no_face", "forbidden_process: anydesk.exe"] : ["no_face"]);
    }

    const events = await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId));
    expect(events).toHaveLength(STUDENTS * REPORTS_EACH);
    const stored = events.map((e) => (e.payload as { confidence_score: number }).confidence_score).sort((a, b) => a - b);
    const accepted = answers.map((a) => marker(a.i, a.j)).sort((a, b) => a - b);
    expect(stored).toEqual(accepted); // each exactly once: same multiset, no duplicate, none missing

    const rows = await db().select().from(alerts).where(eq(alerts.examId, examId));
    for (const s of students) {
      const studentId = events.find((e) => (e.payload as { confidence_score: number }).confidence_score === marker(students.indexOf(s), 0))!.studentId;
      const mine = rows.filter((r) => r.studentId === studentId).map((r) => [r.reason, r.detail, r.occurrences]);
      expect(mine.sort()).toEqual([
        ["forbidden_process", "anydesk.exe", REPORTS_EACH / 2],
        ["no_face", null, REPORTS_EACH],
      ]);
    }
    // Every episode points at one of this student's events of this exam.
    const ids = new Set(events.map((e) => `${e.id}:${e.studentId}`));
    for (const r of rows) expect(ids.has(`${r.firstEventId}:${r.studentId}`)).toBe(true);
    const perStudent = await db()
      .select()
      .from(alerts)
      .where(and(eq(alerts.examId, examId), eq(alerts.reason, "no_face")));
    expect(perStudent).toHaveLength(STUDENTS);
  });
});
