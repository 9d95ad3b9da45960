// The instructor endpoints: add_exam, update_exam_details, list_exam, sync_courses_exams (given students;
// Moodle sync is in moodle.test.ts), manual_approve_student; and the OpenAPI document listing them all.
import { describe, expect, it } from "vitest";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as listExamRoute } from "../../../src/routes/instructor/list-exam";
import { route as registerUserRoute } from "../../../src/routes/auth/register-user";
import { route as manualApproveStudent } from "../../../src/routes/instructor/manual-approve-student";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { route as updateExamDetails } from "../../../src/routes/instructor/update-exam-details";
import { route as checkVerificationStatus } from "../../../src/routes/student/check-verification-status";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { api, bodyAt, raw, type RequestJson } from "../api";
import { expect400Shape, loginAs, newSession, registerUser } from "../helpers";
import { addExam, enrol, examBody, instructorExamView, isoIn, uniqueEmail } from "./support";

describe("POST /backend/instructor/add_exam", () => {
  it("creates an exam the instructor then sees in list_exam", async () => {
    const t = await newSession("INSTRUCTOR");
    const res = await api(addExamRoute, {
      token: t.access,
      json: examBody({ name: "Databases", additional_material: true, forbidden_processes: ["AnyDesk*", "teamviewer.exe"] }),
    });
    expect(res.status).toBe(200);
    const added = bodyAt(res, 200);
    expect(added).toMatchObject({ resource_name: "examination", resource_str: expect.stringMatching(/^\d+$/) });
    const view = await instructorExamView(t.access, Number(added.resource_str));
    expect(view).toMatchObject({
      name: "Databases",
      status: "Upcoming",
      exam_type: "Written",
      duration: 90,
      additional_material: true,
      forbidden_processes: expect.arrayContaining(["anydesk*", "teamviewer.exe"]),
      enrolled_students: [],
    });
  });

  it("refuses a past date, a wrong enum, missing fields and a bad duration, creating nothing", async () => {
    const t = await newSession("INSTRUCTOR");
    const past = await api(addExamRoute, { token: t.access, json: examBody({ scheduled_date: isoIn(-5) }) });
    expect(past.status).toBe(400);
    expect(expect400Shape(bodyAt(past, 400)).bad_formatted_fields).toEqual(["scheduled_date"]);

    const bad = await api(addExamRoute, {
      token: t.access,
      unchecked: { exam_type: "Essay", duration: 0, scheduled_date: "tomorrow", privacy_policy: "p" },
    });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).missing_required_fields).toEqual(["name"]);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(expect.arrayContaining(["exam_type", "duration", "scheduled_date"]));

    const noZone = await api(addExamRoute, { token: t.access, json: examBody({ scheduled_date: "2030-01-01T10:00:00" }) });
    expect(noZone.status).toBe(400);
    const badPattern = await api(addExamRoute, { token: t.access, json: examBody({ forbidden_processes: ["*"] }) });
    expect(badPattern.status).toBe(400);
    expect(bodyAt(badPattern, 400).bad_formatted_fields).toEqual(["forbidden_processes"]);

    const list = await api(listExamRoute, { token: t.access });
    expect(bodyAt(list, 200).resource_array).toEqual([]);
  });

  it("needs an instructor's token", async () => {
    expect((await api(addExamRoute, { json: examBody() })).status).toBe(401);
    const s = await newSession("STUDENT");
    expect((await api(addExamRoute, { token: s.access, json: examBody() })).status).toBe(403);
  });
});

describe("GET /backend/instructor/list_exam", () => {
  it("shows only the caller's own exams", async () => {
    const a = await newSession("INSTRUCTOR");
    const b = await newSession("INSTRUCTOR");
    const other = await newSession("INSTRUCTOR", "UPAT");
    const mine = await addExam(a.access, { name: "Mine" });
    await addExam(b.access, { name: "Colleague's" });
    await addExam(other.access, { name: "Other institution's" });
    const res = await api(listExamRoute, { token: a.access });
    expect(res.status).toBe(200);
    expect(bodyAt(res, 200).resource_array.map((e) => e.exam_id)).toEqual([String(mine)]);
  });

  it("needs an instructor's token", async () => {
    expect((await api(listExamRoute)).status).toBe(401);
    const s = await newSession("STUDENT");
    expect((await api(listExamRoute, { token: s.access })).status).toBe(403);
  });
});

const update = (token: string, json: RequestJson<typeof updateExamDetails>) => api(updateExamDetails, { token, json });

describe("POST /backend/instructor/update_exam_details", () => {
  it("updates the exam and replaces its process policy only when given", async () => {
    const t = await newSession("INSTRUCTOR");
    const id = await addExam(t.access, { forbidden_processes: ["anydesk*"] });
    const when = isoIn(24 * 60);
    const res = await update(t.access, {
      exam_id: id,
      name: "Renamed",
      exam_type: "Oral",
      duration: 30,
      scheduled_date: when,
      privacy_policy: "New policy",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource_name: "examination", resource_str: "Upcoming" });
    let view = await instructorExamView(t.access, id);
    expect(view).toMatchObject({ name: "Renamed", exam_type: "Oral", duration: 30, privacy_policy: "New policy", forbidden_processes: ["anydesk*"] });
    expect(Date.parse(view.scheduled_date)).toBe(Date.parse(when));

    await update(t.access, { ...examBody({ name: "Renamed" }), exam_id: String(id), forbidden_processes: ["zoom.exe", "ZOOM.EXE"] });
    view = await instructorExamView(t.access, id);
    expect(view.forbidden_processes).toEqual(["zoom.exe"]);
    const { name: _omitted, ...withoutName } = examBody();
    await update(t.access, { ...withoutName, exam_id: id, forbidden_processes: [] });
    view = await instructorExamView(t.access, id);
    expect(view.forbidden_processes).toEqual([]);
    expect(view.name).toBe("Renamed"); // name is optional on update
  });

  it("saves an exam back as list_exam shows it, and removes a Moodle course link with null or \"\"", async () => {
    // A probe: list_exam showed moodle_course_id null, update refused that null ("Invalid input"), and a link could never be removed.
    const t = await newSession("INSTRUCTOR");
    const plain = await addExam(t.access);
    const { exam_id, enrolled_students: _e, status: _s, started_at: _a, ends_at: _b, ...shown } = await instructorExamView(t.access, plain);
    expect(shown.moodle_course_id).toBeNull();
    const back = await api(updateExamDetails, { token: t.access, unchecked: { ...shown, exam_id } });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    for (const none of [null, ""]) {
      const linked = await addExam(t.access, { moodle_course_id: "42" });
      expect((await update(t.access, { ...examBody(), exam_id: linked, moodle_course_id: none })).status).toBe(200);
      expect((await instructorExamView(t.access, linked)).moodle_course_id).toBeNull();
    }
    const kept = await addExam(t.access, { moodle_course_id: "42" });
    await update(t.access, { ...examBody(), exam_id: kept });
    expect((await instructorExamView(t.access, kept)).moodle_course_id).toBe("42");
    const bad = await api(updateExamDetails, { token: t.access, unchecked: { ...examBody(), exam_id: kept, moodle_course_id: "ALG-1" } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/Moodle course id .* or null or \\"\\" for no course/);
  });

  it("moving the window into the past completes the exam, after which it cannot change", async () => {
    const t = await newSession("INSTRUCTOR");
    const id = await addExam(t.access);
    const res = await update(t.access, { ...examBody({ scheduled_date: isoIn(-120), duration: 60 }), exam_id: id });
    expect(res.status).toBe(200);
    expect(bodyAt(res, 200).resource_str).toBe("Completed");
    const again = await update(t.access, { ...examBody(), exam_id: id });
    expect(again.status).toBe(400);
    expect(expect400Shape(bodyAt(again, 400)).bad_formatted_fields).toEqual(["exam_id"]);
  });

  it("answers 404 for an unknown exam, a colleague's and another institution's, and 400 for bad fields", async () => {
    const t = await newSession("INSTRUCTOR");
    const colleague = await newSession("INSTRUCTOR");
    const other = await newSession("INSTRUCTOR", "UPAT");
    const theirs = await addExam(colleague.access);
    const foreign = await addExam(other.access);
    for (const exam_id of [999_999_999, theirs, foreign]) {
      const res = await update(t.access, { ...examBody(), exam_id });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ resource_name: "examination", resource_str: String(exam_id) });
    }
    const bad = await api(updateExamDetails, { token: t.access, unchecked: { exam_id: theirs, exam_type: "Quiz", duration: -1, privacy_policy: "p", scheduled_date: "x" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(expect.arrayContaining(["exam_type", "duration", "scheduled_date"]));
    expect((await instructorExamView(colleague.access, theirs)).exam_type).toBe("Written");
  });

  it("needs an instructor's token", async () => {
    expect((await update("", { ...examBody(), exam_id: 1 })).status).toBe(401);
    const s = await newSession("STUDENT");
    expect((await update(s.access, { ...examBody(), exam_id: 1 })).status).toBe(403);
  });
});

describe("POST /backend/instructor/sync_courses_exams", () => {
  const sync = (token: string, details: RequestJson<typeof syncCoursesExams>["details"]) => api(syncCoursesExams, { token, json: { details } });

  it("enrols existing students, invites unknown emails, and is idempotent", async () => {
    const t = await newSession("INSTRUCTOR");
    const known = await registerUser({ role: "STUDENT" });
    const newcomer = uniqueEmail("newcomer");
    const id = await addExam(t.access);
    const students = [
      { email: known.email.toUpperCase(), name: "Known", surname: "Student" },
      { email: newcomer, name: "New", surname: "Comer" },
    ];
    const first = await sync(t.access, { exam_id: id, students });
    expect(first.status).toBe(200);
    expect(bodyAt(first, 200).resource_dict).toMatchObject({ enrolled: 2, already_enrolled: 0, invited: 1, source: "request" });
    // Only the unclaimed account gets an invitation token (and a mail: the test server has a mail sender).
    expect(bodyAt(first, 200).resource_dict.invitations).toEqual([{ email: newcomer, token: expect.any(String), expires_at: expect.any(String), emailed: true }]);
    const invitationToken = bodyAt(first, 200).resource_dict.invitations[0]!.token;
    const second = await sync(t.access, { exam_id: id, students });
    expect(bodyAt(second, 200).resource_dict).toMatchObject({ enrolled: 0, already_enrolled: 2, invited: 0 });
    // Another exam's sync within a day invites (and mails) nobody again: the first token still works (a probe mailed
    // one address once per exam it created).
    const otherId = await addExam(t.access);
    const other = await sync(t.access, { exam_id: otherId, students });
    expect(bodyAt(other, 200).resource_dict).toMatchObject({ enrolled: 2, invited: 0, invitations: [] });

    const view = await instructorExamView(t.access, id);
    expect(view.enrolled_students).toHaveLength(2);
    const invited = view.enrolled_students.find((s) => s.email === newcomer);
    expect(invited).toMatchObject({ name: "New", surname: "Comer", verification_status: "Pending", account_claimed: false, alerts: "" });

    // The invited student claims the account by registering with the invitation's token, then sees the exam.
    const claimed = await registerUser({ email: newcomer, role: "STUDENT" }, invitationToken);
    const tokens = await loginAs(claimed);
    const mine = await api(studentListExam, { token: tokens.access });
    expect(bodyAt(mine, 200).resource_array.map((e) => e.exam_id).sort()).toEqual([String(id), String(otherId)].sort());
    expect((await instructorExamView(t.access, id)).enrolled_students.find((s) => s.email === newcomer)!.account_claimed).toBe(true);
    // A claimed account cannot be registered again.
    const dup = await api(registerUserRoute, { json: { ...claimed, name: "X", surname: "Y" } });
    expect(dup.status).toBe(400);
  });

  it("refuses duplicates in one request and instructors' emails, enrolling nobody", async () => {
    const t = await newSession("INSTRUCTOR");
    const colleague = await newSession("INSTRUCTOR");
    const id = await addExam(t.access);
    const a = uniqueEmail();
    const dup = await sync(t.access, { exam_id: id, students: [{ email: a }, { email: uniqueEmail() }, { email: a.toUpperCase() }] });
    expect(dup.status).toBe(400);
    expect(expect400Shape(bodyAt(dup, 400)).already_exists_fields).toEqual(["details.students.2.email"]);
    const teacher = await sync(t.access, { exam_id: id, students: [{ email: uniqueEmail() }, { email: colleague.user.email }] });
    expect(teacher.status).toBe(400);
    expect(bodyAt(teacher, 400).bad_formatted_fields).toEqual(["details.students.1.email"]);
    const badEmail = await api(syncCoursesExams, { token: t.access, unchecked: { details: { exam_id: id, students: [{ email: "not-an-email" }, { name: "no email" }] } } });
    expect(badEmail.status).toBe(400);
    expect(bodyAt(badEmail, 400).bad_formatted_fields).toEqual(["details.students.0.email"]);
    expect(bodyAt(badEmail, 400).missing_required_fields).toEqual(["details.students.1.email"]);
    expect((await instructorExamView(t.access, id)).enrolled_students).toEqual([]);
  });

  it("asks for students or a Moodle course, and answers 404 for exams that are not the caller's", async () => {
    const t = await newSession("INSTRUCTOR");
    const other = await newSession("INSTRUCTOR", "UPAT");
    const id = await addExam(t.access);
    const none = await sync(t.access, { exam_id: id });
    expect(none.status).toBe(400);
    expect(bodyAt(none, 400).missing_required_fields).toEqual(["details.students"]);
    const foreign = await addExam(other.access);
    const res = await sync(t.access, { exam_id: foreign, students: [{ email: uniqueEmail() }] });
    expect(res.status).toBe(404);
    expect(bodyAt(res, 404).resource_name).toBe("examination");
    expect(bodyAt(await api(syncCoursesExams, { token: t.access, unchecked: {} }), 400).missing_required_fields).toEqual(["details"]);
  });

  it("needs an instructor's token", async () => {
    const body = { json: { details: { exam_id: 1, students: [] } } };
    expect((await api(syncCoursesExams, body)).status).toBe(401);
    const s = await newSession("STUDENT");
    expect((await api(syncCoursesExams, { ...body, token: s.access })).status).toBe(403);
  });
});

describe("POST /backend/instructor/manual_approve_student", () => {
  const approve = (token: string, json: RequestJson<typeof manualApproveStudent>) => api(manualApproveStudent, { token, json });

  it("verifies an enrolled student (idempotently) and answers 404 for strangers", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const res = await approve(t.access, { exam_id: id, email: s.user.email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource_name: "user", resource_str: s.user.email });
    expect((await approve(t.access, { exam_id: id, email: s.user.email })).body.message).toMatch(/already/);
    const view = await instructorExamView(t.access, id);
    expect(view.enrolled_students[0]).toMatchObject({ verification_status: "Verified", verified_by: "manual" });
    const check = await api(checkVerificationStatus, { token: s.access, json: { exam_id: id } });
    expect(check.body).toMatchObject({ resource_bool: true, resource_str: "Verified" });

    const stranger = await approve(t.access, { exam_id: id, email: uniqueEmail() });
    expect(stranger.status).toBe(404);
    expect(bodyAt(stranger, 404).resource_name).toBe("user");
    const colleague = await newSession("INSTRUCTOR");
    expect((await approve(colleague.access, { exam_id: id, email: s.user.email })).status).toBe(404);
    const foreign = await newSession("INSTRUCTOR", "UPAT");
    expect((await approve(foreign.access, { exam_id: id, email: s.user.email })).status).toBe(404);
    expect((await approve(t.access, { exam_id: id, email: "nope" })).status).toBe(400);
    expect((await approve(s.access, { exam_id: id, email: s.user.email })).status).toBe(403);
    expect((await api(manualApproveStudent, { json: { exam_id: id, email: s.user.email } })).status).toBe(401);
  });

  it("answers concurrent approvals of one student as sequential ones would: one approves, the others were 'already'", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => approve(t.access, { exam_id: id, email: s.user.email })));
    const messages = answers.map((r) => bodyAt(r, 200).message);
    expect(messages.filter((m) => m === "Student approved successfully")).toHaveLength(1);
    expect(messages.filter((m) => m === "Student was already verified")).toHaveLength(7);
  });
});

describe("OpenAPI document", () => {
  it("documents the exam, student and monitoring endpoints", async () => {
    // No route defines the document's own path: raw.
    const res = await raw("/backend/openapi.json");
    expect(res.status).toBe(200);
    const paths = Object.keys((res.body as { paths: Record<string, unknown> }).paths);
    for (const p of [
      "/backend/instructor/add_exam",
      "/backend/instructor/update_exam_details",
      "/backend/instructor/list_exam",
      "/backend/instructor/manual_approve_student",
      "/backend/instructor/sync_courses_exams",
      "/backend/instructor/moodle_information",
      "/backend/update_exam_condition",
      "/backend/student/list_exam",
      "/backend/student/check_verification_status",
      "/backend/student/request_manual_approval",
      "/backend/student/submit_feedback",
      "/backend/student/checkup_process",
      "/backend/monitoring",
    ]) {
      expect(paths, p).toContain(p);
    }
  });
});
