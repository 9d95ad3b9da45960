// POST /backend/update_exam_condition (Start / Join / Leave), a whole exam day through the API, and the
// timing rules with an injected clock (the services take `now`).
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { exams, users } from "../../../src/db/schema";
import { AppError } from "../../../src/lib/errors";
import { joinExam, startExam } from "../../../src/services/exams/conditions";
import { createExam } from "../../../src/services/exams/details";
import { effectiveStartedAt, effectiveStatus } from "../../../src/services/exams/lifecycle";
import { enrolStudents } from "../../../src/services/exams/roster";
import { instructorExam } from "../../../src/services/exams/scope";
import { markVerified } from "../../../src/services/exams/verification";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { route as updateExamCondition } from "../../../src/routes/exams/update-exam-condition";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as manualApproveStudent } from "../../../src/routes/instructor/manual-approve-student";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { route as updateExamDetails } from "../../../src/routes/instructor/update-exam-details";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { route as checkupProcess } from "../../../src/routes/student/checkup-process";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { route as identificationRoute } from "../../../src/routes/student/identification";
import { route as requestManualApproval } from "../../../src/routes/student/request-manual-approval";
import { route as submitFeedback } from "../../../src/routes/student/submit-feedback";
import { api, bodyAt, type RequestJson } from "../api";
import { expect400Shape, loginAs, newSession, registerUser } from "../helpers";
import { addExam, approve, condition, db, enrol, examBody, instructorExamView, isoIn, uniqueEmail } from "./support";

describe("a whole exam day", () => {
  it("create, sync, start, join, monitoring, alerts, manual approval, leave, complete", async () => {
    const teacher = await newSession("INSTRUCTOR");
    const alice = await newSession("STUDENT");
    const bob = await newSession("STUDENT");
    const carolEmail = uniqueEmail("carol");

    // Create the exam with its own process policy.
    const created = await api(addExamRoute, {
      token: teacher.access,
      json: examBody({ name: "Exam day", duration: 120, scheduled_date: isoIn(10), forbidden_processes: ["anydesk*", "obs64.exe"] }),
    });
    expect(created.status).toBe(200);
    const examId = Number(bodyAt(created, 200).resource_str);

    // Sync the class list: two registered students and one who has no account yet.
    const synced = await api(syncCoursesExams, {
      token: teacher.access,
      json: {
        details: {
          exam_id: examId,
          students: [
            { name: "Alice", surname: "Ant", email: alice.user.email },
            { name: "Bob", surname: "Bee", email: bob.user.email },
            { name: "Carol", surname: "Cat", email: carolEmail },
          ],
        },
      },
    });
    expect(bodyAt(synced, 200).resource_dict).toMatchObject({ enrolled: 3, invited: 1 });
    const carolToken = bodyAt(synced, 200).resource_dict.invitations.find((i) => i.email === carolEmail)!.token;
    expect(bodyAt(await api(studentListExam, { token: alice.access }), 200).resource_array[0]).toMatchObject({
      exam_id: String(examId),
      status: "Upcoming",
    });

    // Pre-exam checkup on Alice's machine.
    const checkup = await api(checkupProcess, {
      token: alice.access,
      json: { exam_id: examId, running_processes: ["explorer.exe", "OBS64.EXE"] },
    });
    expect(bodyAt(checkup, 200).resource_array).toEqual(["OBS64.EXE"]);

    // Students cannot join before the start; the instructor starts.
    expect((await condition(alice.access, examId, "Join")).status).toBe(400);
    expect(bodyAt(await condition(teacher.access, examId, "Start"), 200).resource_str).toBe("Started");

    // Alice is not verified: she asks for manual approval and the instructor approves; Bob is approved directly.
    expect((await condition(alice.access, examId, "Join")).status).toBe(400);
    await api(requestManualApproval, {
      token: alice.access,
      json: { exam_id: examId, manual_approval_type: "Webcam too dark for face verification" },
    });
    let view = await instructorExamView(teacher.access, examId);
    expect(view.enrolled_students.find((s) => s.email === alice.user.email)!.verification_status).toBe("Requested Manual Approval");
    for (const s of [alice, bob]) {
      const ok = await api(manualApproveStudent, { token: teacher.access, json: { exam_id: examId, email: s.user.email } });
      expect(ok.status).toBe(200);
    }
    for (const s of [alice, bob]) expect((await condition(s.access, examId, "Join")).status).toBe(200);

    // Carol claims her invited account late; she is enrolled but not verified, so she cannot join.
    const carol = await loginAs(await registerUser({ email: carolEmail }, carolToken));
    expect((await condition(carol.access, examId, "Join")).status).toBe(400);

    // Monitoring arrives: Alice runs AnyDesk and leaves the camera twice; Bob is clean.
    const report = (token: string, json: Omit<RequestJson<typeof monitoringRoute>, "exam_id">) => api(monitoringRoute, { token, json: { exam_id: examId, ...json } });
    await report(alice.access, { is_face_detected: true, face_rec_result: "match", running_processes: "chrome.exe\nAnyDesk.exe" });
    await report(alice.access, { is_face_detected: false });
    await report(alice.access, { is_face_detected: false });
    await report(bob.access, { is_face_detected: true, face_rec_result: "match", running_processes: ["chrome.exe"] });

    view = await instructorExamView(teacher.access, examId);
    expect(view.status).toBe("Started");
    const byEmail = (email: string) => view.enrolled_students.find((s) => s.email === email)!;
    expect(byEmail(alice.user.email)).toMatchObject({
      verification_status: "Verified",
      verified_by: "manual",
      alerts: "forbidden_process: anydesk.exe (1x); no_face (2x)",
    });
    expect(byEmail(alice.user.email).alert_timeline.map((a) => [a.reason, a.occurrences])).toEqual([
      ["forbidden_process", 1],
      ["no_face", 2],
    ]);
    expect(byEmail(bob.user.email)).toMatchObject({ verification_status: "Verified", alerts: "", alert_timeline: [] });
    expect(byEmail(carolEmail)).toMatchObject({ verification_status: "Pending", account_claimed: true });

    // Feedback, then Alice and Bob leave.
    expect(
      (await api(submitFeedback, { token: bob.access, json: { exam_id: examId, cheat_mode: "Communication", feedback: "Heard talking" } })).status,
    ).toBe(200);
    for (const s of [alice, bob]) expect((await condition(s.access, examId, "Leave")).status).toBe(200);

    // The exam completes: the instructor ends it by moving its window into the past.
    const ended = await api(updateExamDetails, {
      token: teacher.access,
      json: { ...examBody({ name: "Exam day", duration: 60, scheduled_date: isoIn(-61) }), exam_id: examId },
    });
    expect(bodyAt(ended, 200).resource_str).toBe("Completed");
    expect((await instructorExamView(teacher.access, examId)).status).toBe("Completed");
    expect(bodyAt(await api(studentListExam, { token: bob.access }), 200).resource_array[0]!.status).toBe("Completed");
    expect((await condition(alice.access, examId, "Join")).status).toBe(400);
    expect((await report(alice.access, { is_face_detected: false })).status).toBe(400);
    expect((await condition(teacher.access, examId, "Start")).status).toBe(400);
  });
});

describe("exam timing (clock injected into the services)", () => {
  async function people() {
    const teacher = await newSession("INSTRUCTOR");
    const student = await newSession("STUDENT");
    const idOf = async (email: string) => {
      const [u] = await db().select().from(users).where(and(eq(users.email, email)));
      return { userId: u!.id, institutionId: u!.institutionId };
    };
    return { teacher: await idOf(teacher.user.email), student: await idOf(student.user.email), studentEmail: student.user.email };
  }
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error("expected an AppError");
  };

  it("Upcoming -> Started -> Completed at scheduled time + duration; Join only inside the window", async () => {
    const { teacher, student, studentEmail } = await people();
    const t0 = Date.UTC(2031, 0, 10, 9, 0);
    const minute = 60_000;
    const exam = await createExam(
      db(),
      teacher,
      { name: "Timed", examType: "Written", durationMinutes: 30, scheduledAt: t0 + 60 * minute, privacyPolicy: "p" },
      t0,
    );
    await enrolStudents(db(), exam, [{ email: studentEmail }], t0);
    const verified = await markVerified(db(), { institutionId: student.institutionId, examId: exam.id, studentId: student.userId }, t0);
    expect(verified).toBe("verified");
    expect(await markVerified(db(), { institutionId: teacher.institutionId, examId: exam.id, studentId: teacher.userId }, t0)).toBe("not_enrolled");

    expect((await failure(joinExam(db(), student, exam.id, t0))).body).toMatchObject({ kind: "validation" });
    // Early start (before the scheduled time) is the instructor's call.
    await startExam(db(), teacher, exam.id, t0 + 50 * minute);
    expect((await joinExam(db(), student, exam.id, t0 + 55 * minute)).changed).toBe(true);

    const end = t0 + 90 * minute;
    expect(effectiveStatus(exam, end - 1)).toBe("Upcoming");
    // A partner exam the clock has started shows its start before anyone has read it since (a probe saw null).
    const open = { ...exam, partnerStatus: "open" as const, startedAt: null };
    expect(effectiveStartedAt(open, exam.scheduledAt - 1)).toBeNull();
    expect(effectiveStartedAt(open, exam.scheduledAt + 1)).toBe(exam.scheduledAt);
    expect(effectiveStartedAt({ ...open, partnerStatus: "draft" as const }, exam.scheduledAt + 1)).toBeNull();
    expect((await instructorExam(db(), teacher, exam.id, end - 1)).status).toBe("Started");
    const late = await failure(joinExam(db(), student, exam.id, end));
    expect(late.status).toBe(400);
    expect(late.message).toBe("Bad request");
    // Completion is stored once observed, so it holds even for a reader whose clock is earlier.
    expect((await instructorExam(db(), teacher, exam.id, end)).status).toBe("Completed");
    expect((await instructorExam(db(), teacher, exam.id, end - 10 * minute)).status).toBe("Completed");
    expect((await instructorExam(db(), teacher, exam.id, end)).completedAt).toBe(end);
  });

  it("an exam never started completes when its window passes, and can no longer be started", async () => {
    const { teacher } = await people();
    const t0 = Date.UTC(2031, 5, 1, 9, 0);
    const exam = await createExam(
      db(),
      teacher,
      { name: "Missed", examType: "Oral", durationMinutes: 15, scheduledAt: t0 + 60_000, privacyPolicy: "p" },
      t0,
    );
    const err = await failure(startExam(db(), teacher, exam.id, t0 + 16 * 60_000));
    expect(err.status).toBe(400);
    expect((await instructorExam(db(), teacher, exam.id, t0 + 16 * 60_000)).status).toBe("Completed");
  });
});

describe("POST /backend/update_exam_condition", () => {
  it("Start: the instructor starts an upcoming exam (repeating it changes nothing)", async () => {
    const t = await newSession("INSTRUCTOR");
    const id = await addExam(t.access);
    const res = await condition(t.access, id, "Start");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource_name: "examination", resource_str: "Started" });
    expect((await condition(t.access, id, "Start")).body.message).toMatch(/already/);
    const view = await instructorExamView(t.access, id);
    expect(view.status).toBe("Started");
    expect(view.started_at).toEqual(expect.any(String));
  });

  it("Start: refused for a completed exam, for others' exams (404) and for students (403)", async () => {
    const t = await newSession("INSTRUCTOR");
    const id = await addExam(t.access);
    await api(updateExamDetails, { token: t.access, json: { ...examBody({ scheduled_date: isoIn(-100), duration: 10 }), exam_id: id } });
    const late = await condition(t.access, id, "Start");
    expect(late.status).toBe(400);
    expect(expect400Shape(bodyAt(late, 400)).bad_formatted_fields).toEqual(["exam_id"]);
    expect((await instructorExamView(t.access, id)).status).toBe("Completed");

    const fresh = await addExam(t.access);
    const colleague = await newSession("INSTRUCTOR");
    expect((await condition(colleague.access, fresh, "Start")).status).toBe(404);
    const foreign = await newSession("INSTRUCTOR", "UPAT");
    expect((await condition(foreign.access, fresh, "Start")).status).toBe(404);
    const s = await newSession("STUDENT");
    await enrol(t.access, fresh, [s.user.email]);
    expect((await condition(s.access, fresh, "Start")).status).toBe(403);
    expect((await instructorExamView(t.access, fresh)).status).toBe("Upcoming");
  });

  it("Join: refused before start and without verification; allowed once started and approved; Leave after Join", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);

    const early = await condition(s.access, id, "Join");
    expect(early.status).toBe(400);
    expect(bodyAt(early, 400).error_details.exam_id![0]).toMatch(/not started/);
    await condition(t.access, id, "Start");
    const unverified = await condition(s.access, id, "Join");
    expect(unverified.status).toBe(400);
    expect(bodyAt(unverified, 400).error_details.exam_id![0]).toMatch(/not been verified/);
    expect((await condition(s.access, id, "Leave")).status).toBe(400); // never joined

    await approve(t.access, id, s.user.email);
    const joined = await condition(s.access, id, "Join");
    expect(joined.status).toBe(200);
    expect(bodyAt(joined, 200).resource_str).toBe("Started");
    expect((await condition(s.access, id, "Join")).body.message).toMatch(/Already/);
    let me = (await instructorExamView(t.access, id)).enrolled_students[0]!;
    expect(me.joined_at).toEqual(expect.any(String));
    expect(me.left_at).toBeNull();

    expect((await condition(s.access, id, "Leave")).status).toBe(200);
    expect((await condition(s.access, id, "Leave")).status).toBe(400); // already left
    me = (await instructorExamView(t.access, id)).enrolled_students[0]!;
    expect(me.left_at).toEqual(expect.any(String));
    expect((await condition(s.access, id, "Join")).status).toBe(200); // rejoining (e.g. after a crash) is allowed
  });

  it("Join: of concurrent joins one joins, the others answer 'already' (joined_at written once)", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    await condition(t.access, id, "Start");
    await approve(t.access, id, s.user.email);
    const answers = await Promise.all(Array.from({ length: 8 }, () => condition(s.access, id, "Join")));
    const messages = answers.map((r) => bodyAt(r, 200).message);
    expect(messages.filter((m) => !/Already/.test(m))).toHaveLength(1);
    // Of concurrent leaves one leaves; the others are the 400 of leaving twice (a probe's three were all 200).
    const leaves = await Promise.all(Array.from({ length: 4 }, () => condition(s.access, id, "Leave")));
    expect(leaves.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
  });

  it("a completed exam's verifications are final: face_verify and identification answer 400 before any inference", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    await db().update(exams).set({ status: "Completed", completedAt: Date.now() }).where(eq(exams.id, id));
    const picture = `data:image/jpeg;base64,${"A".repeat(400)}`;
    const verify = await api(faceVerifyRoute, { token: s.access, json: { image: picture, exam_id: id } });
    expect(bodyAt(verify, 400).error_details.exam_id).toEqual(["This examination has completed."]);
    const identify = await api(identificationRoute, { token: s.access, json: { exam_id: id, identification_result: picture } });
    expect(bodyAt(identify, 400).error_details.exam_id).toEqual(["This examination has completed."]);
    expect((await instructorExamView(t.access, id)).enrolled_students[0]).toMatchObject({ verification_status: "Pending" });
  });

  it("Join/Leave: 404 for exams the student is not enrolled in, 403 for instructors, 400 for bad input", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await condition(t.access, id, "Start");
    const res = await condition(s.access, id, "Join");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ resource_name: "examination", resource_str: String(id) });
    const foreign = await newSession("STUDENT", "UPAT");
    expect((await condition(foreign.access, id, "Join")).status).toBe(404);
    expect((await condition(t.access, id, "Join")).status).toBe(403);
    const bad = await api(updateExamCondition, { token: s.access, unchecked: { exam_id: "abc", condition: "Pause" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(expect.arrayContaining(["exam_id", "condition"]));
    // A number too large to be an id fails two checks that share one message: it is said once.
    const huge = await api(updateExamCondition, { token: s.access, unchecked: { exam_id: 1e23, condition: "Join" } });
    expect(bodyAt(huge, 400).error_details).toEqual({ exam_id: ["Expected an exam id (an integer)."] });
    expect((await api(updateExamCondition, { json: { exam_id: id, condition: "Join" } })).status).toBe(401);
  });
});
