// GET /backend/student/my_data: a student's copy of everything kept about them (GDPR access and portability):
// their account, enrolments, alerts, monitoring events, feedback, approval requests, decisions, wallet exports and
// what their template store holds; nothing of another student. Found missing by a black-box privacy probe.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { enrolments, partnerCallbackOutbox } from "../../../src/db/schema";
import { db, ownerOf } from "../biometrics/fixtures";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { route as myDataRoute } from "../../../src/routes/student/my-data";
import { route as submitFeedbackRoute } from "../../../src/routes/student/submit-feedback";
import { api, bodyAt } from "../api";
import { startedExamWithStudent } from "../exams/support";
import { newSession } from "../helpers";

describe("student/my_data", () => {
  it("gives the student every record about them, and none about anyone else", async () => {
    const { student, examId } = await startedExamWithStudent();
    const other = await startedExamWithStudent();
    const report = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, is_face_detected: false, running_processes: "chrome.exe" } });
    expect(report.status).toBe(200);
    await api(monitoringRoute, { token: other.student.access, json: { exam_id: other.examId, is_face_detected: false } });
    const fb = await api(submitFeedbackRoute, { token: student.access, json: { exam_id: examId, cheat_mode: "Communication", feedback: "Someone talked next door" } });
    expect(fb.status, JSON.stringify(fb.body)).toBe(200);

    const res = await api(myDataRoute, { token: student.access });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const d = bodyAt(res, 200).resource_dict;
    expect(d.account).toMatchObject({ email: student.user.email, role: "STUDENT", organization: "UCY" });
    expect(d.enrolments).toEqual([expect.objectContaining({ exam_id: examId, verification_status: "Verified", verified_by: "manual" })]);
    expect(d.alerts).toEqual([expect.objectContaining({ exam_id: examId, reason: "no_face", occurrences: 1 })]);
    expect(d.monitoring_events).toEqual([expect.objectContaining({ exam_id: examId, source: "device", recorded: expect.objectContaining({ running_processes: ["chrome.exe"] }) })]);
    expect(d.feedback).toEqual([expect.objectContaining({ exam_id: examId, feedback: "Someone talked next door" })]);
    expect(d.biometric_templates).toEqual([]);
    expect(d.truncated).toEqual([]);
    // Nothing of the other student's exam is in it.
    expect(JSON.stringify(d)).not.toContain(other.student.user.email);
    expect(d.alerts.every((a) => a.exam_id === examId)).toBe(true);
    // One exam at a time (how a list cut at the limit is read in full): another exam of theirs is left out.
    const one = bodyAt(await api(myDataRoute, { token: student.access, query: { exam_id: String(examId) } }), 200).resource_dict;
    expect(one.alerts).toHaveLength(1);
    const none = bodyAt(await api(myDataRoute, { token: student.access, query: { exam_id: String(other.examId) } }), 200).resource_dict;
    expect([none.enrolments, none.alerts, none.monitoring_events, none.feedback]).toEqual([[], [], [], []]);
    expect(none.account.email).toBe(student.user.email);
  });

  it("shows what a partner's session keeps and the callback events about it (a probe: individual_info was missing)", async () => {
    const { student, examId } = await startedExamWithStudent();
    const d = db();
    const { institutionId, studentId } = ownerOf(student.access);
    await d
      .update(enrolments)
      .set({ externalId: "ext-7", individualInfo: "needs extra time", skipRequirements: true, openTime: Date.UTC(2030, 0, 1) })
      .where(and(eq(enrolments.examId, examId), eq(enrolments.studentId, studentId)));
    const now = Date.now();
    await d.insert(partnerCallbackOutbox).values({
      id: crypto.randomUUID(), institutionId, examId, enrolmentId: 1, createdAt: now, expiresAt: now + 86_400_000, nextAttemptAt: now,
      payload: JSON.stringify({ status: "verified", student_session: { student_id: studentId, individual_info: "needs extra time" } }),
    });
    const mine = bodyAt(await api(myDataRoute, { token: student.access }), 200).resource_dict;
    expect(mine.enrolments[0]).toMatchObject({ external_id: "ext-7", individual_info: "needs extra time", skip_requirements: true, open_time: "2030-01-01T00:00:00.000Z" });
    expect(mine.partner_callbacks).toEqual([expect.objectContaining({ exam_id: examId, delivered_at: null, body: expect.objectContaining({ status: "verified" }) })]);
  });

  it("is for students only, with a valid token", async () => {
    const teacher = await newSession("INSTRUCTOR");
    expect((await api(myDataRoute, { token: teacher.access })).status).toBe(403);
    expect((await api(myDataRoute, {})).status).toBe(401);
  });
});
