// The Moodle client against a local server that speaks Moodle's REST protocol (test/support/fake-moodle.ts).
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { institutions } from "../../../src/db/schema";
import { sealSecret } from "../../../src/services/partner/crypto";
import { route as moodleInformation } from "../../../src/routes/instructor/moodle-information";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { api, bodyAt, type RequestJson } from "../api";
import { loginAs, registerUser, uniqueEmail } from "../helpers";
import { addExam, db, instructorExamView, moodleUrl, newInstitution } from "./support";

type Site = {
  token: string;
  users: { id: number; firstname: string; lastname: string; email?: string }[];
  courses: { id: number; shortname: string; fullname: string }[];
  enrolments: { courseId: number; userId: number; role: string; suspended?: boolean }[];
  withoutEnrolReview?: boolean;
};

async function installSite(site: Site) {
  const res = await fetch(`${moodleUrl()}/__fixture/site`, { method: "POST", body: JSON.stringify(site) });
  expect(res.status).toBe(200);
}

/**
 * An institution whose Moodle site has: the instructor teaching course 10 (2 students, one with two accounts, and a
 * suspended one) and 11 (1), enrolled as a student in 12.
 */
async function moodleWorld(token = `tok-${crypto.randomUUID()}`) {
  const inst = await newInstitution({ url: moodleUrl(), token });
  const teacher = await registerUser({ role: "INSTRUCTOR", organization: inst.code });
  const teacherTokens = await loginAs(teacher);
  const alice = uniqueEmail("alice");
  const bob = uniqueEmail("bob");
  await installSite({
    token,
    users: [
      { id: 2, firstname: "Tea", lastname: "Cher", email: teacher.email.toUpperCase() },
      { id: 3, firstname: "Alice", lastname: "A", email: alice },
      { id: 4, firstname: "Bob", lastname: "B", email: bob },
      { id: 5, firstname: "Other", lastname: "Teacher", email: uniqueEmail("other") },
      // A second Moodle account with Alice's email in capitals: one TRUSTID account per email, so it is named apart.
      { id: 6, firstname: "Alice", lastname: "Again", email: alice.toUpperCase() },
      // Withdrawn by the teacher (a suspended enrolment): not a participant to enrol.
      { id: 7, firstname: "Gone", lastname: "Away", email: uniqueEmail("withdrawn") },
    ],
    courses: [
      { id: 10, shortname: "ALG", fullname: "Algorithms" },
      { id: 11, shortname: "DB", fullname: "Databases" },
      { id: 12, shortname: "ML", fullname: "Machine Learning" },
      { id: 13, shortname: "OS", fullname: "Operating Systems" },
    ],
    enrolments: [
      { courseId: 10, userId: 2, role: "editingteacher" },
      { courseId: 10, userId: 3, role: "student" },
      { courseId: 10, userId: 4, role: "student" },
      { courseId: 10, userId: 6, role: "student" },
      { courseId: 10, userId: 7, role: "student", suspended: true },
      { courseId: 11, userId: 2, role: "teacher" },
      { courseId: 11, userId: 4, role: "student" },
      { courseId: 12, userId: 2, role: "student" },
      { courseId: 12, userId: 5, role: "editingteacher" },
      { courseId: 13, userId: 5, role: "editingteacher" },
      { courseId: 13, userId: 3, role: "student" },
    ],
  });
  return { inst, teacher, access: teacherTokens.access, alice, bob };
}

describe("GET /backend/instructor/moodle_information", () => {
  it("lists the Moodle courses the instructor teaches, with their students", async () => {
    const w = await moodleWorld();
    const res = await api(moodleInformation, { token: w.access });
    expect(res.status).toBe(200);
    expect(bodyAt(res, 200).resource_array).toEqual([
      {
        moodle_course_id: "10",
        moodle_course_name: "Algorithms",
        enrolled_students: [
          { name: "Alice", surname: "A", email: w.alice },
          { name: "Bob", surname: "B", email: w.bob },
        ],
        skipped_instructors: [],
        // Two people would otherwise share one account and one face template, unknown to the instructor (probe S).
        skipped_without_email: [{ moodle_user_id: "6", name: "Alice", surname: "Again", reason: "email shared with Moodle user 3: one account per email here" }],
      },
      { moodle_course_id: "11", moodle_course_name: "Databases", enrolled_students: [{ name: "Bob", surname: "B", email: w.bob }], skipped_instructors: [], skipped_without_email: [] },
    ]);
  });

  it("lists apart the instructor accounts Moodle calls students, as sync leaves them out; names cleaned as everywhere", async () => {
    // A probe saw a teaching assistant listed as a student that sync then skipped, and names kept padded or cut at a NUL.
    const token = `tok-${crypto.randomUUID()}`;
    const inst = await newInstitution({ url: moodleUrl(), token });
    const teacher = await registerUser({ role: "INSTRUCTOR", organization: inst.code });
    const assistant = await registerUser({ role: "INSTRUCTOR", organization: inst.code });
    const [padded, blank, smile] = [uniqueEmail("padded"), uniqueEmail("blank"), uniqueEmail("smile")];
    await installSite({
      token,
      users: [
        { id: 2, firstname: "Tea", lastname: "Cher", email: teacher.email },
        { id: 3, firstname: "Tee", lastname: "Ay", email: assistant.email },
        { id: 4, firstname: "  Ann\u0000Marie ", lastname: "  Padded\t Name  ", email: padded },
        { id: 5, firstname: "   ", lastname: "", email: blank },
        // Left out for their email, and named (a probe's sync said nothing of them).
        { id: 6, firstname: "Hid", lastname: "Den" },
        { id: 7, firstname: "Odd", lastname: "Dots", email: "o..neil@example.org" },
        // 201 UTF-16 units: cut at 150 between characters, never inside an emoji (a lone surrogate is not text).
        { id: 8, firstname: "a" + "\u{1F600}".repeat(100), lastname: "Smile", email: smile },
      ],
      courses: [{ id: 20, shortname: "NET", fullname: "Networks" }],
      enrolments: [
        { courseId: 20, userId: 2, role: "editingteacher" },
        { courseId: 20, userId: 3, role: "student" },
        { courseId: 20, userId: 4, role: "student" },
        { courseId: 20, userId: 5, role: "student" },
        { courseId: 20, userId: 6, role: "student" },
        { courseId: 20, userId: 7, role: "student" },
        { courseId: 20, userId: 8, role: "student" },
      ],
    });
    const access = (await loginAs(teacher)).access;
    const res = await api(moodleInformation, { token: access });
    const cutEmoji = "a" + "\u{1F600}".repeat(74);
    expect(bodyAt(res, 200).resource_array).toEqual([
      {
        moodle_course_id: "20",
        moodle_course_name: "Networks",
        enrolled_students: [
          { name: "Ann Marie", surname: "Padded Name", email: padded },
          { name: "", surname: "", email: blank },
          { name: cutEmoji, surname: "Smile", email: smile },
        ],
        skipped_instructors: [assistant.email],
        skipped_without_email: [
          { moodle_user_id: "6", name: "Hid", surname: "Den", reason: expect.stringMatching(/^no email visible/) },
          { moodle_user_id: "7", name: "Odd", surname: "Dots", reason: "email not accepted: o..neil@example.org" },
        ],
      },
    ]);
    const id = await addExam(access);
    const sync = await api(syncCoursesExams, { token: access, json: { details: { exam_id: id, moodle_course_id: 20 } } });
    expect(sync.status, JSON.stringify(sync.body)).toBe(200);
    expect(bodyAt(sync, 200).resource_dict.skipped_without_email.map((x) => x.moodle_user_id)).toEqual(["6", "7"]);
    const view = await instructorExamView(access, id);
    expect(view.enrolled_students.map((s) => [s.email, s.name, s.surname]).sort()).toEqual(
      [[blank, "", ""], [padded, "Ann Marie", "Padded Name"], [smile, cutEmoji, "Smile"]].sort(),
    );
  });

  // Nine requests one after the other, one of them reading a 16 MiB answer: 3.5 s alone on a loaded 2-core machine,
  // so the default 5 s per test was too tight (a CI run failed on time, not on an answer).
  it("turns Moodle's errors into clear 502/503/404 answers", { timeout: 30_000 }, async () => {
    const cases: [string | undefined, string | undefined, number, RegExp][] = [
      [moodleUrl(), "no-such-token", 502, /invalidtoken.*Invalid token/],
      [moodleUrl(), "http-500", 502, /HTTP 500/],
      [moodleUrl(), "html", 502, /did not answer .* with JSON/],
      [moodleUrl(), "wrong-shape", 502, /unexpected shape/],
      [moodleUrl(), "json-null", 502, /unexpected shape/],
      [moodleUrl(), "huge", 502, /larger than 16 MiB/],
      ["http://127.0.0.1:9", "any", 503, /could not be reached/],
      [undefined, undefined, 503, /not configured/],
    ];
    for (const [url, token, status, message] of cases) {
      const inst = await newInstitution(url && token ? { url, token } : undefined);
      const teacher = await loginAs(await registerUser({ role: "INSTRUCTOR", organization: inst.code }));
      const res = await api(moodleInformation, { token: teacher.access });
      expect(res.status, String(token)).toBe(status);
      expect(res.body.message).toMatch(message);
    }
    // Known site, but the instructor's email is not a Moodle user there.
    const w = await moodleWorld();
    const stranger = await loginAs(await registerUser({ role: "INSTRUCTOR", organization: w.inst.code }));
    const res = await api(moodleInformation, { token: stranger.access });
    expect(res.status).toBe(404);
    expect(bodyAt(res, 404).resource_name).toBe("user");
  });

  it("uses the token stored sealed (as scripts/institution.mjs stores it); one that does not open is a 503", async () => {
    const token = `tok-${crypto.randomUUID()}`;
    const w = await moodleWorld(token);
    const key = (env as unknown as { PARTNER_SECRET_KEY_ENCRYPTION_KEY: string }).PARTNER_SECRET_KEY_ENCRYPTION_KEY;
    const store = async (value: string) => db().update(institutions).set({ moodleToken: value }).where(eq(institutions.id, w.inst.id));
    await store(await sealSecret(key, w.inst.id, token, "moodle-token"));
    const ok = await api(moodleInformation, { token: w.access });
    expect(ok.status).toBe(200);
    expect(bodyAt(ok, 200).resource_array.map((c) => c.moodle_course_id)).toEqual(["10", "11"]);
    // Sealed for another purpose or another institution: refused, never sent to Moodle as it is.
    for (const wrong of [await sealSecret(key, w.inst.id, token, "partner-secret"), await sealSecret(key, w.inst.id + 1, token, "moodle-token")]) {
      await store(wrong);
      const res = await api(moodleInformation, { token: w.access });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/Moodle token cannot be read/);
    }
  });

  it("needs an instructor's token", async () => {
    expect((await api(moodleInformation)).status).toBe(401);
    const w = await moodleWorld();
    const s = await loginAs(await registerUser({ role: "STUDENT", organization: w.inst.code }));
    expect((await api(moodleInformation, { token: s.access })).status).toBe(403);
  });
});

describe("POST /backend/instructor/sync_courses_exams from Moodle", () => {
  const sync = (token: string, details: RequestJson<typeof syncCoursesExams>["details"]) => api(syncCoursesExams, { token, json: { details } });

  it("enrols the students of a course the instructor teaches, remembers the course, and is idempotent", async () => {
    const w = await moodleWorld();
    const id = await addExam(w.access);
    const res = await sync(w.access, { exam_id: id, moodle_course_id: 10 });
    expect(res.status).toBe(200);
    const invitation = (email: string) => ({ email, token: expect.stringMatching(/^[0-9a-f]{48}$/), expires_at: expect.any(String), emailed: true });
    expect(bodyAt(res, 200).resource_dict).toEqual({
      enrolled: 2,
      already_enrolled: 0,
      invited: 2,
      // The Moodle sync result carries the invitation tokens the students claim their accounts with.
      invitations: expect.arrayContaining([invitation(w.alice), invitation(w.bob)]),
      source: "moodle",
      moodle_course_id: "10",
      skipped_instructors: [],
      skipped_without_email: [expect.objectContaining({ moodle_user_id: "6" })],
    });
    // The suspended participant (Moodle asked with onlyactive) is neither enrolled nor named.
    const view = await instructorExamView(w.access, id);
    expect(view.moodle_course_id).toBe("10");
    expect(view.enrolled_students.map((s) => [s.email, s.name, s.account_claimed]).sort()).toEqual(
      [
        [w.alice, "Alice", false],
        [w.bob, "Bob", false],
      ].sort(),
    );
    // Without a course id the exam's stored course is used again: nothing new.
    const again = await sync(w.access, { exam_id: id });
    expect(bodyAt(again, 200).resource_dict).toMatchObject({ enrolled: 0, already_enrolled: 2, invited: 0 });
  });

  it("leaves out a participant with the student role who is an instructor here (a teaching assistant), naming them", async () => {
    const token = `tok-${crypto.randomUUID()}`;
    const inst = await newInstitution({ url: moodleUrl(), token });
    const teacher = await registerUser({ role: "INSTRUCTOR", organization: inst.code });
    const assistant = await registerUser({ role: "INSTRUCTOR", organization: inst.code });
    const access = (await loginAs(teacher)).access;
    const alice = uniqueEmail("alice");
    await installSite({
      token,
      users: [
        { id: 2, firstname: "Tea", lastname: "Cher", email: teacher.email },
        { id: 3, firstname: "Alice", lastname: "A", email: alice },
        { id: 4, firstname: "Teaching", lastname: "Assistant", email: assistant.email },
      ],
      courses: [{ id: 20, shortname: "NET", fullname: "Networks" }],
      enrolments: [
        { courseId: 20, userId: 2, role: "editingteacher" },
        { courseId: 20, userId: 3, role: "student" },
        { courseId: 20, userId: 4, role: "student" },
      ],
    });
    const id = await addExam(access);
    const res = await sync(access, { exam_id: id, moodle_course_id: 20 });
    expect(bodyAt(res, 200).resource_dict).toMatchObject({ enrolled: 1, already_enrolled: 0, invited: 1, skipped_instructors: [assistant.email] });
    expect((await instructorExamView(access, id)).enrolled_students.map((s) => s.email)).toEqual([alice]);
    // The same email in a list the instructor sends is refused as before: that list can be corrected.
    const listed = await sync(access, { exam_id: id, students: [{ email: assistant.email, name: "T", surname: "A" }] });
    expect(listed.status).toBe(400);
  });

  it("needs the token's right to review enrolments (Moodle's onlyactive), and says so", async () => {
    const token = `tok-${crypto.randomUUID()}`;
    const w = await moodleWorld(token);
    await installSite({ token, users: [{ id: 2, firstname: "Tea", lastname: "Cher", email: w.teacher.email }], courses: [{ id: 10, shortname: "ALG", fullname: "Algorithms" }], enrolments: [{ courseId: 10, userId: 2, role: "editingteacher" }], withoutEnrolReview: true });
    const id = await addExam(w.access);
    const res = await sync(w.access, { exam_id: id, moodle_course_id: 10 });
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/core_enrol_get_enrolled_users \(nopermissions\).*Review course enrolments/);
  });

  it("takes an exam's moodle_course_id as the spec's String or as a JSON number", async () => {
    const w = await moodleWorld();
    for (const given of ["10", 10] as const) {
      const id = await addExam(w.access, { moodle_course_id: given as string });
      expect((await instructorExamView(w.access, id)).moodle_course_id).toBe("10");
    }
    // null or "" in a sync is "not given": the exam's stored course (a probe got a bare "Invalid input").
    const id = await addExam(w.access, { moodle_course_id: "10" });
    for (const none of [null, ""]) {
      const res = await api(syncCoursesExams, { token: w.access, unchecked: { details: { exam_id: id, moodle_course_id: none } } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(bodyAt(res, 200).resource_dict).toMatchObject({ source: "moodle", moodle_course_id: "10" });
    }
    const bad = await api(syncCoursesExams, { token: w.access, unchecked: { details: { exam_id: id, moodle_course_id: "ALG" } } });
    expect(JSON.stringify(bad.body)).toContain("Expected a Moodle course id");
  });

  it("answers 404 for a course the instructor does not teach or that does not exist, enrolling nobody", async () => {
    const w = await moodleWorld();
    const id = await addExam(w.access);
    for (const course of [12, 13, 999]) {
      const res = await sync(w.access, { exam_id: id, moodle_course_id: course });
      expect(res.status, String(course)).toBe(404);
      expect(res.body).toMatchObject({ resource_name: "moodle course", resource_str: String(course) });
    }
    expect((await instructorExamView(w.access, id)).enrolled_students).toEqual([]);
  });
});
