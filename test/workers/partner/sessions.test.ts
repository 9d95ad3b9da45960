// /api/v3/exams/:exam_id/student_sessions and the deprecated add_student / index_students /
// show_student / delete_student forms. A session is a TRUSTID enrolment of a STUDENT user.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { alerts, enrolments, exams, feedback, users } from "../../../src/db/schema";
import { route as addStudent } from "../../../src/routes/partner/add-student";
import { SessionObject } from "../../../src/routes/partner/common";
import { route as deleteStudent } from "../../../src/routes/partner/delete-student";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { routeFor as examsUpdate } from "../../../src/routes/partner/exams-update";
import { route as indexStudents } from "../../../src/routes/partner/index-students";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsDestroy } from "../../../src/routes/partner/sessions-destroy";
import { route as sessionsIndex } from "../../../src/routes/partner/sessions-index";
import { route as sessionsShow } from "../../../src/routes/partner/sessions-show";
import { routeFor as sessionsUpdate } from "../../../src/routes/partner/sessions-update";
import { route as showStudent } from "../../../src/routes/partner/show-student";
import { route as registerUserRoute } from "../../../src/routes/auth/register-user";
import { api, bodyAt } from "../api";
import { partnerApi, type PartnerParams } from "./api";
import { db, newPartner, type Partner } from "./helpers";

// The documented example response's fields and their JSON types ("null" where the example has null).
const EXAMPLE_FIELDS: Record<string, string> = {
  id: "number", session_id: "null", student_id: "null", external_id: "null", proctor_id: "null", time_slot: "number",
  created_at: "string", updated_at: "string", email: "string", operating_system: "string", browser: "string",
  browser_version: "string", status: "string", token: "null", screenshare_check: "string", microphone_check: "string",
  speakers_check: "string", webcam_check: "string", mobile_check: "string", dummy_exam_survey: "null",
  skip_requirements: "boolean", send_confirmation: "boolean", name: "string", start_time: "string", exam_id: "number",
  expires_at: "null", end_time: "string", entered_room: "boolean", reservation_time: "string",
  exam_document_content_type: "null", exam_document_file_size: "null", exam_document_updated_at: "null", reviewed: "string",
  id_card_file_name: "string", id_card_content_type: "string", id_card_file_size: "number", face_photo_file_name: "string",
  face_photo_content_type: "string", face_photo_file_size: "number", bandwidth_check: "string", bandwidth_speed: "null",
  open_time: "string", individual_info: "string", rtc_session_id: "number", in_setup: "boolean",
  in_check_requirements: "boolean", attempt: "number", archived: "boolean", current_exam_mode: "string",
  rtc_session_ids: "array", transcoding_status: "string", is_individual_info_html: "boolean", priority: "string",
  recording_started_at: "null", recording_ended_at: "null",
};
const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

let partner: Partner;
let examId: number;
const email = (tag: string) => `${tag}.${crypto.randomUUID().slice(0, 8)}@example.org`;
const add = (json: PartnerParams<typeof sessionsCreate>, exam = examId, who = partner) =>
  partnerApi(sessionsCreate, { credentials: who, params: { exam_id: exam }, json });
/** Parameters the API must refuse. */
const addUnchecked = (unchecked: Record<string, unknown>) => partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: examId }, unchecked });
const newExam = async (name: string, who = partner) => bodyAt(await partnerApi(examsCreate, { credentials: who, json: { name } }), 201).exam.id;

beforeAll(async () => {
  partner = await newPartner();
  examId = await newExam("Sessions exam");
});

describe("student sessions", () => {
  it("adds a student as the documented example does; the object has every documented field with its type", async () => {
    const address = email("student1");
    const res = await add({
      name: "Student 1",
      email: address,
      individual_info: "individual_info for user 1",
      is_individual_info_html: true,
      skip_requirements: true,
      open_time: 1542103980,
      external_id: "ext-1",
    });
    expect(res.status).toBe(201);
    const s = bodyAt(res, 201).student;
    expect(Object.keys(s)).toEqual(expect.arrayContaining(Object.keys(EXAMPLE_FIELDS)));
    expect(s).toMatchObject({
      email: address,
      name: "Student 1",
      exam_id: examId,
      status: "registered",
      individual_info: "individual_info for user 1",
      is_individual_info_html: true,
      skip_requirements: true,
      send_confirmation: false,
      external_id: "ext-1",
      open_time: "2018-11-13T10:13:00.000Z",
      entered_room: false,
      webcam_check: "not_started",
      rtc_session_ids: [],
    });
    expect(() => SessionObject.strict().parse(s)).not.toThrow(); // the documented OpenAPI schema, exactly
    for (const [field, type] of Object.entries(EXAMPLE_FIELDS)) {
      // Our nulls are the values a fresh ProctorExam session has for machinery we do not run.
      const value = (s as Record<string, unknown>)[field];
      if (type !== "null" && value !== null) expect(typeOf(value), field).toBe(type);
    }

    // The TRUSTID side: an invited STUDENT (no password) enrolled in the exam.
    const [user] = await db().select().from(users).where(and(eq(users.institutionId, partner.institutionId), eq(users.email, address)));
    expect(user).toMatchObject({ role: "STUDENT", passwordHash: null, name: "Student", surname: "1" });
    const [enrolment] = await db().select().from(enrolments).where(eq(enrolments.id, s.id));
    expect(enrolment).toMatchObject({ examId, studentId: user!.id, verificationStatus: "Pending" });
  });

  it("takes form parameters and booleans as true/false/1/0; rejects others", async () => {
    const res = await partnerApi(sessionsCreate, {
      credentials: partner,
      params: { exam_id: examId },
      form: { email: email("form"), is_individual_info_html: "1", skip_requirements: "0", send_confirmation: "true" },
    });
    expect(res.status).toBe(201);
    expect(bodyAt(res, 201).student).toMatchObject({ is_individual_info_html: true, skip_requirements: false, send_confirmation: true });
    const bad = await addUnchecked({ email: email("bad"), skip_requirements: "yes" });
    expect(bad).toMatchObject({ status: 422, body: { error: `Invalid parameter 'skip_requirements' value "yes": Must be one of: true, false, 1, 0.` } });
    expect(bodyAt(await addUnchecked({ email: email("bad"), open_time: "tomorrow" }), 422).error).toMatch(/Must be a number/);
    expect(bodyAt(await addUnchecked({ email: email("bad"), name: 5 }), 422).error).toMatch(/Must be a String/);
  });

  it("answers the documented 422s: missing email, and an email already in the exam", async () => {
    expect(await addUnchecked({ name: "No email" })).toMatchObject({ status: 422, body: { error: "Param is missing or the value is empty: 'email'" } });
    const address = email("dup");
    expect((await add({ email: address })).status).toBe(201);
    expect(await add({ email: address.toUpperCase() })).toMatchObject({ status: 422, body: { email: ["has already been taken"] } });
  });

  it("refuses the emails TRUSTID registration refuses (one rule: an invited student must be able to claim the account)", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    for (const bad of [`zoë.${tag}@example.org`, `a..b${tag}@example.org`, `"q${tag}"@example.org`, `a${tag}@bücher.de`, "not-an-email"]) {
      expect(await add({ email: bad }), bad).toMatchObject({ status: 422, body: { email: ["is invalid"] } });
      const registered = await api(registerUserRoute, { json: { email: bad, password: "a good long password", organization: partner.code, role: "STUDENT", name: "N", surname: "S" } });
      expect(registered.status, bad).toBe(400);
      expect((registered.body as { bad_formatted_fields: string[] }).bad_formatted_fields, bad).toEqual(["email"]);
    }
    expect((await add({ email: `o'brien+exam.${tag}@sub.example.org` })).status).toBe(201);
  });

  it("refuses new students in a closed exam", async () => {
    const exam = await newExam("Closed");
    await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id: exam }, json: { status: "closed" } });
    expect(await add({ email: email("late") }, exam)).toMatchObject({ status: 422, body: { exam: ["is closed"] } });
  });

  it("enrols an existing student, and refuses an instructor's email", async () => {
    const address = email("existing");
    const [u] = await db()
      .insert(users)
      .values({ institutionId: partner.institutionId, email: address, name: "Ex", surname: "Isting", role: "STUDENT", passwordHash: "x" })
      .returning();
    const res = await add({ email: address });
    expect(bodyAt(res, 201).student).toMatchObject({ student_id: u!.id, name: "Ex Isting" });
    const teacher = email("teacher");
    await db().insert(users).values({ institutionId: partner.institutionId, email: teacher, name: "T", surname: "T", role: "INSTRUCTOR" });
    expect(await add({ email: teacher })).toMatchObject({ status: 422, body: { email: ["belongs to an account that is not a student"] } });
  });

  it("shows, lists (paginated), updates and deletes sessions", async () => {
    const exam = await newExam("CRUD");
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(bodyAt(await add({ email: email(`crud${i}`), name: `S ${i}` }, exam), 201).student.id);

    const shown = await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: exam, id: ids[1]! } });
    expect(shown).toMatchObject({ status: 200, body: { student: { id: ids[1], name: "S 1" } } });

    const list = await partnerApi(sessionsIndex, { credentials: partner, params: { exam_id: exam } });
    expect(bodyAt(list, 200).student_sessions.map((s) => s.id)).toEqual(ids);
    expect(list.headers.get("x-pagination-item-count")).toBe("3");
    const page = await partnerApi(sessionsIndex, { credentials: partner, params: { exam_id: exam }, query: { page: 2, limit: 2 } });
    expect(bodyAt(page, 200).student_sessions.map((s) => s.id)).toEqual([ids[2]]);
    expect(page.headers.get("x-pagination-page-count")).toBe("2");

    const updated = await partnerApi(sessionsUpdate("patch"), {
      credentials: partner,
      params: { exam_id: exam, id: ids[0]! },
      json: { name: "Renamed", open_time: 1893456000, is_individual_info_html: 0, individual_info: "<b>hi</b>" },
    });
    expect(bodyAt(updated, 200).student).toMatchObject({ name: "Renamed", open_time: "2030-01-01T00:00:00.000Z", is_individual_info_html: false, individual_info: "<b>hi</b>" });
    // Sent empty, the open time is cleared (it could not be, before).
    for (const cleared of [{ open_time: "" }, { open_time: null }]) {
      await partnerApi(sessionsUpdate("patch"), { credentials: partner, params: { exam_id: exam, id: ids[0]! }, json: { open_time: 1893456000 } });
      const res = await partnerApi(sessionsUpdate("patch"), { credentials: partner, params: { exam_id: exam, id: ids[0]! }, unchecked: cleared });
      expect(bodyAt(res, 200).student.open_time).toBeNull();
    }
    const newEmail = email("moved");
    const moved = await partnerApi(sessionsUpdate("put"), { credentials: partner, params: { exam_id: exam, id: ids[0]! }, json: { email: newEmail } });
    expect(bodyAt(moved, 200).student).toMatchObject({ email: newEmail, name: "Renamed" });
    const clash = await partnerApi(sessionsUpdate("put"), {
      credentials: partner,
      params: { exam_id: exam, id: ids[0]! },
      json: { email: bodyAt(shown, 200).student.email },
    });
    expect(clash).toMatchObject({ status: 422, body: { email: ["has already been taken"] } });

    const deleted = await partnerApi(sessionsDestroy, { credentials: partner, params: { exam_id: exam, id: ids[2]! } });
    expect(deleted).toMatchObject({ status: 200, body: { student: { id: ids[2] } } });
    const gone = await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: exam, id: ids[2]! } });
    expect(gone.status).toBe(404);
  });

  it("moves a session to another email only to a student and before it has begun; a claimed student gets no token", async () => {
    const exam = await newExam("Moves");
    const sid = bodyAt(await add({ email: email("mover") }, exam), 201).student.id;
    const move = (to: string) => partnerApi(sessionsUpdate("put"), { credentials: partner, params: { exam_id: exam, id: sid }, json: { email: to } });
    const teacher = email("teacher");
    await db().insert(users).values({ institutionId: partner.institutionId, email: teacher, name: "T", surname: "T", role: "INSTRUCTOR" });
    expect(await move(teacher)).toMatchObject({ status: 422, body: { email: ["belongs to an account that is not a student"] } });
    const claimed = email("claimed");
    const [u] = await db()
      .insert(users)
      .values({ institutionId: partner.institutionId, email: claimed, name: "Cl", surname: "Aimed", role: "STUDENT", passwordHash: "x" })
      .returning();
    // What the first student left in this exam goes with them, as by a session delete (a probe's came back when re-added).
    const [first] = await db().select().from(enrolments).where(eq(enrolments.id, sid));
    const mine = { institutionId: partner.institutionId, examId: exam, studentId: first!.studentId };
    await db().insert(alerts).values({ ...mine, reason: "no_face", occurrences: 1, firstSeenAt: 1, lastSeenAt: 1 });
    await db().insert(feedback).values({ ...mine, cheatMode: "Impersonation", feedback: "x", createdAt: 1 });
    const moved = await move(claimed);
    expect(bodyAt(moved, 200).student).toMatchObject({ student_id: u!.id, email: claimed, token: null });
    for (const t of [alerts, feedback]) expect(await db().select().from(t).where(and(eq(t.examId, exam), eq(t.studentId, first!.studentId)))).toEqual([]);
    await db().update(enrolments).set({ verificationStatus: "Verified" }).where(eq(enrolments.id, sid));
    expect(await move(email("late"))).toMatchObject({ status: 422, body: { email: ["can not change once the student has begun"] } });
    const [enrolment] = await db().select().from(enrolments).where(eq(enrolments.id, sid));
    expect(enrolment!.studentId).toBe(u!.id);
  });

  it("serves the deprecated add_student / index_students / show_student / delete_student forms", async () => {
    const exam = await newExam("Deprecated");
    const added = await partnerApi(addStudent, { credentials: partner, params: { id: exam }, json: { email: email("dep"), name: "Dep" } });
    expect(added).toMatchObject({ status: 201, body: { student: { name: "Dep", exam_id: exam } } });
    const sid = bodyAt(added, 201).student.id;
    const listed = await partnerApi(indexStudents, { credentials: partner, params: { id: exam } });
    expect(bodyAt(listed, 200).students.map((s) => s.id)).toEqual([sid]);
    expect(listed.headers.get("x-pagination-item-count")).toBe("1");
    const shown = await partnerApi(showStudent, { credentials: partner, params: { id: exam }, query: { student_session_id: sid } });
    expect(bodyAt(shown, 200).student.id).toBe(sid);
    const missing = await partnerApi(showStudent, { credentials: partner, params: { id: exam }, unchecked: {} });
    expect(missing).toMatchObject({ status: 422, body: { error: "Param is missing or the value is empty: 'student_session_id'" } });
    const deleted = await partnerApi(deleteStudent, { credentials: partner, params: { id: exam }, query: { student_session_id: sid } });
    expect(deleted.status).toBe(200);
    expect(bodyAt(await partnerApi(indexStudents, { credentials: partner, params: { id: exam } }), 200).students).toEqual([]);
    // A JSON client sends the id as the number every v3 answer gives it.
    const again = bodyAt(await partnerApi(addStudent, { credentials: partner, params: { id: exam }, json: { email: email("dep2") } }), 201).student.id;
    const byNumber = await partnerApi(deleteStudent, { credentials: partner, params: { id: exam }, json: { student_session_id: again } });
    expect(byNumber).toMatchObject({ status: 200, body: { student: { id: again } } });
    const fraction = await partnerApi(deleteStudent, { credentials: partner, params: { id: exam }, unchecked: { student_session_id: 1.5 }, via: "json" });
    expect(fraction.status).toBe(422);
  });

  it("shows what TRUSTID records: verification, joining, leaving, the exam's end", async () => {
    const exam = await newExam("Lifecycle");
    const sid = bodyAt(await add({ email: email("life") }, exam), 201).student.id;
    const status = async () => bodyAt(await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: exam, id: sid } }), 200).student;
    const set = (v: Partial<typeof enrolments.$inferInsert>) => db().update(enrolments).set(v).where(eq(enrolments.id, sid));

    expect((await status()).status).toBe("registered");
    await set({ verificationStatus: "Requested Manual Approval" });
    expect(await status()).toMatchObject({ status: "in_setup", in_setup: true, verification_status: "Requested Manual Approval" });
    await set({ verificationStatus: "Verified" });
    expect((await status()).status).toBe("exam_not_started");
    const joined = Date.UTC(2030, 0, 1, 9);
    await set({ joinedAt: joined });
    expect(await status()).toMatchObject({ status: "exam_started", entered_room: true, start_time: "2030-01-01T09:00:00.000Z" });
    const del = await partnerApi(sessionsDestroy, { credentials: partner, params: { exam_id: exam, id: sid } });
    expect(del).toMatchObject({ status: 422, body: { status: ["can not delete a session in progress"] } });
    await set({ leftAt: joined + 3600_000 });
    expect(await status()).toMatchObject({ status: "exam_finished", end_time: "2030-01-01T10:00:00.000Z" });
    await set({ leftAt: null });
    await db().update(exams).set({ status: "Completed", completedAt: joined + 5400_000 }).where(eq(exams.id, exam));
    const finished = await status();
    // Still joined when the exam completed: the session ended then.
    expect(finished).toMatchObject({ status: "exam_finished", archived: true, end_time: "2030-01-01T10:30:00.000Z" });
    expect(() => SessionObject.strict().parse(finished)).not.toThrow();
  });

  it("answers 404 for another institution's exam or session, and for a session of another exam", async () => {
    const other = await newPartner();
    const theirExam = await newExam("Theirs", other);
    const theirSession = bodyAt(await add({ email: email("theirs") }, theirExam, other), 201).student.id;
    const res = await add({ email: email("intruder") }, theirExam);
    expect(res).toMatchObject({ status: 404, body: { error: `Couldn't find Exam with 'id'=${theirExam}` } });
    const list = await partnerApi(sessionsIndex, { credentials: partner, params: { exam_id: theirExam } });
    expect(list.status).toBe(404);
    const cross = await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: examId, id: theirSession } });
    expect(cross).toMatchObject({ status: 404, body: { error: `Couldn't find StudentSession with 'id'=${theirSession}` } });
    const del = await partnerApi(deleteStudent, { credentials: partner, params: { id: examId }, query: { student_session_id: theirSession } });
    expect(del.status).toBe(404);
  });
});
