import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { alerts, enrolments, monitoringEvents } from "../../../src/db/schema";
import { EPISODE_GAP_MS, recordMonitoringResult } from "../../../src/services/monitoring/results";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { api, bodyAt, raw, type RequestJson } from "../api";
import { newSession } from "../helpers";
import { addExam, db, enrol, instructorExamView, startedExamWithStudent } from "./support";

const monitor = (token: string, json: RequestJson<typeof monitoringRoute>) => api(monitoringRoute, { token, json });

describe("POST /backend/monitoring/", () => {
  it("stores the report and turns problems into de-duplicated alerts the instructor sees", async () => {
    const { teacher, student, examId } = await startedExamWithStudent("UCY", { forbidden_processes: ["anydesk*"] });
    const clean = await monitor(student.access, {
      exam_id: examId,
      is_face_detected: true,
      is_multiple_face_results: false,
      face_rec_result: student.user.email,
      confidence_score: 0.93,
      running_processes: "chrome.exe,explorer.exe",
    });
    expect(clean.status).toBe(200);
    expect(clean.body).toMatchObject({ resource_name: "monitoring", resource_array: [] });

    const noFace = { exam_id: examId, is_face_detected: false };
    expect(bodyAt(await monitor(student.access, noFace), 200).resource_array).toEqual(["no_face"]);
    await monitor(student.access, noFace);
    const mixed = await monitor(student.access, {
      exam_id: examId,
      is_face_detected: true,
      face_rec_result: "someone.else@example.org",
      confidence_score: 0.31,
      running_processes: ["AnyDesk.exe", "chrome.exe"],
      is_voice_detected: true,
      is_voice_verified: false,
      voice_confidence_score: 0.2,
      is_voice_error_occurred: true,
      error_type_voice: "microphone busy",
    });
    expect(bodyAt(mixed, 200).resource_array).toEqual(["face_mismatch", "client_error: voice: microphone busy", "forbidden_process: anydesk.exe"]);
    const several = await monitor(student.access, { exam_id: examId, is_face_detected: true, is_multiple_face_results: true, face_rec_result: "mismatch" });
    expect(bodyAt(several, 200).resource_array).toEqual(["multiple_faces"]);
    const faceError = await monitor(student.access, { exam_id: examId, is_face_detected: false, is_error_occurred: true, error_type: "camera not found" });
    expect(bodyAt(faceError, 200).resource_array).toEqual(["client_error: face: camera not found"]);
    const voice = await monitor(student.access, { exam_id: examId, is_voice_detected: true, is_voice_verified: false });
    expect(bodyAt(voice, 200).resource_array).toEqual(["voice_mismatch"]);

    const events = await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId));
    expect(events).toHaveLength(7);
    expect(events[0]).toMatchObject({ source: "device", monitoringType: "Exam Monitoring" });

    const me = (await instructorExamView(teacher.access, examId)).enrolled_students[0]!;
    expect(me.alerts).toBe(
      "no_face (2x); face_mismatch (1x); client_error: voice: microphone busy (1x), face: camera not found (1x); forbidden_process: anydesk.exe (1x); multiple_faces (1x); voice_mismatch (1x)",
    );
    const noFaceAlert = me.alert_timeline.find((a) => a.reason === "no_face")!;
    expect(noFaceAlert).toMatchObject({ detail: null, occurrences: 2 });
    expect(Date.parse(noFaceAlert.last_seen_at)).toBeGreaterThanOrEqual(Date.parse(noFaceAlert.first_seen_at));
  });

  it("refuses reports for exams not started, unknown to the student, or malformed; stores nothing", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const early = await monitor(s.access, { exam_id: id, is_face_detected: false });
    expect(early.status).toBe(400);
    expect(bodyAt(early, 400).error_details.exam_id?.[0]).toMatch(/not started/);
    const outsider = await newSession("STUDENT");
    expect((await monitor(outsider.access, { exam_id: id })).status).toBe(404);
    const foreign = await newSession("STUDENT", "UPAT");
    expect((await monitor(foreign.access, { exam_id: id })).status).toBe(404);
    expect((await monitor(t.access, { exam_id: id })).status).toBe(403);
    expect((await api(monitoringRoute, { json: { exam_id: id } })).status).toBe(401);
    // The trailing slash TRUSTID clients send works too (no route definition spells it so: raw).
    expect((await raw("/backend/monitoring/", { token: s.access, headers: { "content-type": "application/json" }, body: JSON.stringify({ exam_id: id }) })).status).toBe(400);
    // ("no" is a boolean now, as the original read it: issue 18 part 4.)
    const bad = await api(monitoringRoute, { token: s.access, unchecked: { exam_id: id, is_face_detected: "nope", confidence_score: "high", running_processes: 7 } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(expect.arrayContaining(["is_face_detected", "confidence_score", "running_processes"]));
    const many = await monitor(s.access, { exam_id: id, running_processes: Array.from({ length: 501 }, (_, i) => `p${i}`) });
    expect(many.status).toBe(400);
    expect(bodyAt(await api(monitoringRoute, { token: s.access, unchecked: {} }), 400).missing_required_fields).toEqual(["exam_id"]);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, id))).toEqual([]);
  });
});

describe("recordMonitoringResult (the service the biometric endpoints reuse)", () => {
  it("groups repeats into one alert per episode; a quiet gap opens a new one", async () => {
    const { teacher, examId } = await startedExamWithStudent();
    const enrolment = await db().query.enrolments.findFirst({ where: (e, { eq }) => eq(e.examId, examId) });
    const scope = {
      institutionId: enrolment!.institutionId,
      examId,
      studentId: enrolment!.studentId,
      source: "server" as const,
      monitoringType: "Exam Monitoring" as const,
    };
    const t0 = Date.now();
    const r1 = await recordMonitoringResult(db(), scope, { faceDetected: true, faceMatch: false, faceConfidence: 0.2 }, t0);
    expect(r1.alerts).toEqual([{ reason: "face_mismatch", detail: null }]);
    await recordMonitoringResult(db(), scope, { faceDetected: true, faceMatch: false }, t0 + 30_000);
    await recordMonitoringResult(db(), scope, { faceDetected: true, faceMatch: true }, t0 + 60_000);
    await recordMonitoringResult(db(), scope, { faceDetected: true, faceMatch: false }, t0 + 60_000 + EPISODE_GAP_MS + 1);
    await recordMonitoringResult(db(), scope, { livenessPassed: false }, t0 + 200_000);

    const rows = await db()
      .select()
      .from(alerts)
      .where(and(eq(alerts.examId, examId), eq(alerts.studentId, scope.studentId)))
      .orderBy(alerts.firstSeenAt);
    expect(rows.map((r) => [r.reason, r.occurrences, r.firstSeenAt - t0, r.lastSeenAt - t0])).toEqual([
      ["face_mismatch", 2, 0, 30_000],
      ["face_mismatch", 1, 60_000 + EPISODE_GAP_MS + 1, 60_000 + EPISODE_GAP_MS + 1],
      ["liveness_failed", 1, 200_000, 200_000],
    ]);
    expect(rows[0]!.firstEventId).toBe(r1.eventId);
    const timeline = (await instructorExamView(teacher.access, examId)).enrolled_students[0]!.alert_timeline;
    expect(timeline.map((a) => a.reason)).toEqual(["face_mismatch", "face_mismatch", "liveness_failed"]);
  });

  it("lists the latest 100 episodes per student in the exam view; the summary counts them all", async () => {
    const { teacher, examId } = await startedExamWithStudent();
    const enrolment = await db().query.enrolments.findFirst({ where: (e, { eq }) => eq(e.examId, examId) });
    const scope = { institutionId: enrolment!.institutionId, examId, studentId: enrolment!.studentId, source: "device" as const, monitoringType: "Exam Monitoring" as const };
    // Six reports naming 20 new forbidden processes each (the default list forbids anydesk*): 120 episodes + "more".
    for (let r = 0; r < 6; r++) {
      await recordMonitoringResult(db(), scope, { runningProcesses: Array.from({ length: 25 }, (_, i) => `anydesk-${r}-${i}.exe`) }, Date.now());
    }
    const [row] = (await instructorExamView(teacher.access, examId)).enrolled_students;
    expect(row!.alert_timeline).toHaveLength(100);
    expect(row!.alerts).toMatch(/^forbidden_process: .*, and 111 more$/);
  });

  it("stores nothing for a student no longer enrolled (a report in flight while the session was deleted): 404", async () => {
    const { examId } = await startedExamWithStudent();
    const enrolment = await db().query.enrolments.findFirst({ where: (e, { eq }) => eq(e.examId, examId) });
    const scope = { institutionId: enrolment!.institutionId, examId, studentId: enrolment!.studentId, source: "device" as const, monitoringType: "Exam Monitoring" as const };
    // The caller checked the enrolment; the partner deletes the session before the report is written.
    await db().delete(enrolments).where(eq(enrolments.id, enrolment!.id));
    await expect(recordMonitoringResult(db(), scope, { faceDetected: false, runningProcesses: ["anydesk.exe"] }, Date.now())).rejects.toMatchObject({ status: 404 });
    const mine = and(eq(monitoringEvents.examId, examId), eq(monitoringEvents.studentId, scope.studentId));
    expect(await db().select().from(monitoringEvents).where(mine)).toEqual([]);
    expect(await db().select().from(alerts).where(and(eq(alerts.examId, examId), eq(alerts.studentId, scope.studentId)))).toEqual([]);
  });
});
