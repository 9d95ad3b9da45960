// Issue 18 part 3: a partner runs an exam end to end through /api/v3 alone: it opens (and so starts) the
// exam, sessions join from their open_time, and the exam closes at its end_time. One lifecycle
// (src/services/exams/lifecycle.ts) answers both APIs.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { enrolments, exams } from "../../../src/db/schema";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsDestroy } from "../../../src/routes/partner/exams-destroy";
import { route as examsIndex } from "../../../src/routes/partner/exams-index";
import { route as examsShow } from "../../../src/routes/partner/exams-show";
import { routeFor as examsUpdate } from "../../../src/routes/partner/exams-update";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsShow } from "../../../src/routes/partner/sessions-show";
import { routeFor as sessionsUpdate } from "../../../src/routes/partner/sessions-update";
import { route as instructorListExam } from "../../../src/routes/instructor/list-exam";
import { route as updateExamDetails } from "../../../src/routes/instructor/update-exam-details";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { api, bodyAt } from "../api";
import { condition } from "../exams/support";
import { loginAs, newSession, registerUser, uniqueEmail } from "../helpers";
import { partnerApi, type PartnerParams } from "./api";
import { db, newPartner, type Partner } from "./helpers";

const secs = (ms: number) => Math.floor(ms / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A session's student who claimed the account with the session's token and logged in. */
async function joinedStudent(partner: Partner, examId: number, params: Partial<PartnerParams<typeof sessionsCreate>> = {}) {
  const email = uniqueEmail("pstudent");
  const created = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: examId }, json: { email, ...params } });
  expect(created.status).toBe(201);
  const student = bodyAt(created, 201).student;
  const tokens = await loginAs(await registerUser({ email, organization: partner.code }, student.token ?? undefined));
  // The identity check itself (face or manual) is tested elsewhere; here the student is verified.
  await db().update(enrolments).set({ verificationStatus: "Verified", verifiedAt: Date.now(), verifiedBy: "manual" }).where(eq(enrolments.id, student.id));
  return { session: student.id, access: tokens.access };
}

describe("a partner exam's lifecycle through /api/v3 alone", () => {
  it("open starts it when its window comes; sessions join from their open_time; it closes at end_time", async () => {
    const partner = await newPartner();
    const now = Date.now();
    const created = await partnerApi(examsCreate, {
      credentials: partner,
      json: { name: "Runs by itself", status: "open", start_time: secs(now) - 60, end_time: secs(now) + 4 },
    });
    expect(created.status).toBe(201);
    const examId = bodyAt(created, 201).exam.id;
    expect(bodyAt(created, 201).exam).toMatchObject({ status: "open", started_at: new Date((secs(now) - 60) * 1000).toISOString(), completed_at: null });
    const [row] = await db().select().from(exams).where(eq(exams.id, examId));
    expect(row!.status).toBe("Started");

    // A session that opens later cannot join yet; once its open_time is moved to now, it can.
    const later = await joinedStudent(partner, examId, { open_time: secs(now) + 3600 });
    const refused = await condition(later.access, examId, "Join");
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/session opens at/);
    await partnerApi(sessionsUpdate("patch"), { credentials: partner, params: { exam_id: examId, id: later.session }, json: { open_time: secs(now) - 1 } });
    expect((await condition(later.access, examId, "Join")).status).toBe(200);
    const shown = await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: examId, id: later.session } });
    expect(bodyAt(shown, 200).student.status).toBe("exam_started");

    // At end_time the exam closes by itself: the partner sees it closed and the session finished.
    await sleep(Math.max(0, (secs(now) + 4) * 1000 - Date.now()) + 300);
    const closed = await partnerApi(examsShow, { credentials: partner, params: { id: examId } });
    expect(bodyAt(closed, 200).exam).toMatchObject({ status: "closed", completed_at: new Date((secs(now) + 4) * 1000).toISOString() });
    const finished = await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: examId, id: later.session } });
    expect(bodyAt(finished, 200).student.status).toBe("exam_finished");
    const lateJoin = await joinedStudent(partner, examId).catch((e: Error) => e);
    expect(lateJoin).toBeInstanceOf(Error); // no new sessions in a closed exam
  }, 20_000);

  it("its instructor's schedule replaces the partner's end_time: the duration counts, and a window moved into the past ends the exam", async () => {
    const partner = await newPartner();
    const instructor = await newSession("INSTRUCTOR", partner.code);
    const start = secs(Date.now()) + 3600;
    const created = await partnerApi(examsCreate, {
      credentials: partner,
      json: { name: "LMS exam", status: "open", instructor_email: instructor.user.email, start_time: start, end_time: start + 3 * 86400, duration: 90 },
    });
    const examId = bodyAt(created, 201).exam.id;
    const listed = async () => bodyAt(await api(instructorListExam, { token: instructor.access }), 200).resource_array.find((e) => e.exam_id === String(examId))!;
    expect((await listed()).ends_at).toBe(new Date((start + 3 * 86400) * 1000).toISOString());

    const update = (scheduled_date: string, duration: number) =>
      api(updateExamDetails, { token: instructor.access, json: { exam_id: examId, exam_type: "Written", duration, scheduled_date, privacy_policy: "p" } });
    expect((await update(new Date(start * 1000).toISOString(), 30)).status).toBe(200);
    expect(await listed()).toMatchObject({ duration: 30, ends_at: new Date((start + 30 * 60) * 1000).toISOString() });
    // Ending it early (docs/exams.md): a window that has already ended completes the exam; before the fix the
    // partner's end_time kept it open and the past start time started it.
    const before = Date.now();
    const ended = await update(new Date(Date.now() - 5 * 3600_000).toISOString(), 60);
    expect(bodyAt(ended, 200).resource_str).toBe("Completed");
    // It ended now, not at the past moment the new window names (a probe's completion came before its start).
    const shown = bodyAt(await partnerApi(examsShow, { credentials: partner, params: { id: examId } }), 200).exam;
    expect(shown).toMatchObject({ status: "closed", end_time: shown.completed_at });
    expect(Date.parse(shown.completed_at!)).toBeGreaterThanOrEqual(before - 1000);
    expect((await listed()).ends_at).toBe(shown.completed_at);
  });

  it("its instructor can save it back unchanged: no privacy policy, a start beyond TRUSTID's horizon, TRUSTID's name limit", async () => {
    const partner = await newPartner();
    const instructor = await newSession("INSTRUCTOR", partner.code);
    const start = secs(Date.now()) + 3600;
    const create = (json: PartnerParams<typeof examsCreate>) => partnerApi(examsCreate, { credentials: partner, json: { instructor_email: instructor.user.email, ...json } });
    expect(await create({ name: "x".repeat(201) })).toMatchObject({ status: 422 });
    // Three years ahead: further than an instructor may schedule, yet saved back unchanged below.
    const examId = bodyAt(await create({ name: "y".repeat(200), start_time: start + 3 * 366 * 86400 }), 201).exam.id;
    const shown = bodyAt(await api(instructorListExam, { token: instructor.access }), 200).resource_array.find((e) => e.exam_id === String(examId))!;
    expect(shown.privacy_policy).toBe("");
    const back = { exam_id: examId, name: shown.name, exam_type: shown.exam_type, duration: shown.duration, scheduled_date: shown.scheduled_date, privacy_policy: shown.privacy_policy };
    expect((await api(updateExamDetails, { token: instructor.access, json: back })).status).toBe(200);
    // A policy once given cannot be emptied.
    expect((await api(updateExamDetails, { token: instructor.access, json: { ...back, privacy_policy: "Ours" } })).status).toBe(200);
    const emptied = await api(updateExamDetails, { token: instructor.access, json: back });
    expect(emptied.status).toBe(400);
    expect(emptied.body).toMatchObject({ bad_formatted_fields: ["privacy_policy"] });
  });

  it("a draft exam whose window has come waits; opening it starts it, and a TRUSTID student sees it Started", async () => {
    const partner = await newPartner();
    const now = Date.now();
    const created = await partnerApi(examsCreate, { credentials: partner, json: { name: "Draft first", status: "draft", start_time: secs(now) - 10, duration: 30 } });
    const examId = bodyAt(created, 201).exam.id;
    expect(bodyAt(created, 201).exam).toMatchObject({ status: "draft", started_at: null });
    const student = await joinedStudent(partner, examId);
    expect((await condition(student.access, examId, "Join")).status).toBe(400); // not started

    const opened = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id: examId }, json: { status: "open" } });
    expect(bodyAt(opened, 200).exam).toMatchObject({ status: "open", started_at: expect.any(String) });
    const list = await api(studentListExam, { token: student.access });
    expect(bodyAt(list, 200).resource_array[0]).toMatchObject({ exam_id: String(examId), status: "Started" });
    expect((await condition(student.access, examId, "Join")).status).toBe(200);
    // The partner index filters by the same derived status.
    const open = await partnerApi(examsIndex, { credentials: partner, query: { status: "open" } });
    expect(bodyAt(open, 200).exams.map((e) => e.id)).toEqual([examId]);
  });

  it("an open exam scheduled later stays upcoming until its start_time", async () => {
    const partner = await newPartner();
    const start = secs(Date.now()) + 3600;
    const created = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Tomorrow", status: "open", start_time: start } }), 201).exam;
    expect(created).toMatchObject({ status: "open", started_at: null });
    const [row] = await db().select().from(exams).where(eq(exams.id, created.id));
    expect(row!.status).toBe("Upcoming");
    // It can still be deleted (not in progress).
    expect((await partnerApi(examsDestroy, { credentials: partner, params: { id: created.id } })).status).toBe(200);
  });
});
