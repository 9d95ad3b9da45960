// Issue 18 part 2: an invited account (created by a course sync or a partner session, no password) is
// claimed only with the invitation token sent to the student, never by whoever knows the email.
import { and, eq } from "drizzle-orm";
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { invitations, users } from "../../../src/db/schema";
import { addExam, approve, db, instructorExamView } from "../exams/support";
import { partnerApi } from "../partner/api";
import { newPartner } from "../partner/helpers";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsShow } from "../../../src/routes/partner/sessions-show";
import { routeFor as sessionsUpdate } from "../../../src/routes/partner/sessions-update";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as registerUserRoute } from "../../../src/routes/auth/register-user";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { api, bodyAt } from "../api";
import { loginAs, newSession, registerUser, uniqueEmail } from "../helpers";

const sync = (token: string, examId: number, students: { email: string; name?: string }[]) =>
  api(syncCoursesExams, { token, json: { details: { exam_id: examId, students } } });
const mailsTo = async (to: string) => (await fetch(`${inject("mailUrl")}/sent?to=${encodeURIComponent(to)}`)).json() as Promise<any[]>;
const claim = (email: string, extra: { invitation_token?: string; password?: string } = {}, organization = "UCY") =>
  api(registerUserRoute, { json: { email, name: "Real", surname: "Student", organization, password: "a good long password", role: "STUDENT", ...extra } });

async function invitedStudent() {
  const teacher = await newSession("INSTRUCTOR");
  const examId = await addExam(teacher.access);
  const email = uniqueEmail("invited");
  const res = await sync(teacher.access, examId, [{ email, name: "Invited" }]);
  expect(res.status).toBe(200);
  const [invitation] = bodyAt(res, 200).resource_dict.invitations;
  return { teacher, examId, email, invitation: invitation! };
}

describe("claiming an invited account", () => {
  it("the instructor gets the token, the student gets it by mail, and only the token claims the account", async () => {
    const { email, invitation } = await invitedStudent();
    expect(invitation).toMatchObject({ email, token: expect.stringMatching(/^[0-9a-f]{48}$/), emailed: true });
    expect(Date.parse(invitation.expires_at) - Date.now()).toBeGreaterThan(6 * 24 * 3600_000); // a week by default
    const [mail] = await mailsTo(email);
    expect(mail).toMatchObject({ To: email, From: "TRUSTID <no-reply@trustid.test>" });
    expect(mail.TextBody).toContain(invitation.token);
    expect(mail.TextBody).toContain("UCY");
    // A link to the enrolment page's claim form, its values in the fragment (never sent to a server).
    const link = new URL(mail.TextBody.match(/https?:\/\/\S+/)![0]);
    expect(link.pathname).toBe("/enrol/");
    expect(link.search).toBe("");
    expect(Object.fromEntries(new URLSearchParams(link.hash.replace(/^#claim\?/, "")))).toEqual({ email, organization: "UCY", token: invitation.token });

    // Knowing the email is not enough.
    const without = await claim(email);
    expect(without).toMatchObject({ status: 400, body: { missing_required_fields: ["invitation_token"] } });
    const wrong = await claim(email, { invitation_token: "0".repeat(48) });
    expect(wrong).toMatchObject({ status: 400, body: { bad_formatted_fields: ["invitation_token"] } });
    // Only a hash is stored.
    const stored = await db().select().from(invitations).where(eq(invitations.tokenHash, invitation.token));
    expect(stored).toHaveLength(0);

    expect((await claim(email, { invitation_token: invitation.token })).status).toBe(200);
    expect((await api(loginRoute, { json: { email, password: "a good long password", organization: "UCY" } })).status).toBe(201);
    // Single use: the same token cannot claim it again (and the account is no longer invited).
    const again = await claim(email, { invitation_token: invitation.token, password: "another long password" });
    expect(again).toMatchObject({ status: 400, body: { already_exists_fields: ["email"] } });
  });

  it("two concurrent claims with one token: exactly one succeeds", async () => {
    const { email, invitation } = await invitedStudent();
    const results = await Promise.all([
      claim(email, { invitation_token: invitation.token, password: "first long password" }),
      claim(email, { invitation_token: invitation.token, password: "second long password" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it("refuses an expired token, and another account's token", async () => {
    const a = await invitedStudent();
    const b = await invitedStudent();
    expect(await claim(a.email, { invitation_token: b.invitation.token })).toMatchObject({ status: 400, body: { bad_formatted_fields: ["invitation_token"] } });
    const [user] = await db().select({ id: users.id }).from(users).where(eq(users.email, a.email));
    await db().update(invitations).set({ expiresAt: Date.now() - 1 }).where(eq(invitations.userId, user!.id));
    expect(await claim(a.email, { invitation_token: a.invitation.token })).toMatchObject({ status: 400, body: { bad_formatted_fields: ["invitation_token"] } });
    // A new sync issues a fresh token, which works.
    const fresh = await sync(a.teacher.access, a.examId, [{ email: a.email }]);
    expect(fresh.body).toMatchObject({ resource_dict: { enrolled: 0, already_enrolled: 1, invited: 0 } });
    expect((await claim(a.email, { invitation_token: bodyAt(fresh, 200).resource_dict.invitations[0]!.token })).status).toBe(200);
  });

  it("keeps what was recorded for the invited account: enrolment and approval survive the claim", async () => {
    const { teacher, examId, email, invitation } = await invitedStudent();
    await approve(teacher.access, examId, email);
    const student = await loginAs(await registerUser({ email, role: "STUDENT" }, invitation.token));
    const mine = await api(studentListExam, { token: student.access });
    expect(bodyAt(mine, 200).resource_array.map((e) => e.exam_id)).toEqual([String(examId)]);
    const row = (await instructorExamView(teacher.access, examId)).enrolled_students.find((s) => s.email === email);
    expect(row).toMatchObject({ verification_status: "Verified", account_claimed: true });
  });

  it("a student with a password gets no invitation; a mail the sender refuses still leaves the token to the instructor", async () => {
    const teacher = await newSession("INSTRUCTOR");
    const examId = await addExam(teacher.access);
    const known = await registerUser();
    const bouncing = `${crypto.randomUUID().slice(0, 8)}@bounce.invalid`;
    const res = await sync(teacher.access, examId, [{ email: known.email }, { email: bouncing }]);
    expect(res.status).toBe(200);
    expect(bodyAt(res, 200).resource_dict.invitations).toEqual([{ email: bouncing, token: expect.any(String), expires_at: expect.any(String), emailed: false }]);
  });

  it("a partner session answers the invitation token once; the student claims the account with it", async () => {
    const partner = await newPartner();
    const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Invited by a partner" } }), 201).exam.id;
    const email = uniqueEmail("partner");
    const created = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email } });
    expect(created.status).toBe(201);
    const token = bodyAt(created, 201).student.token as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    const mail = (await mailsTo(email))[0].TextBody as string;
    expect(mail).toContain(token);
    expect(mail).toMatch(/\/enrol\/#claim\?email=[^&\s]+&organization=[^&\s]+&token=[0-9a-f]{48}/);
    // Shown once: later reads cannot show it (only its hash is stored).
    const shown = await partnerApi(sessionsShow, { credentials: partner, params: { exam_id: exam, id: bodyAt(created, 201).student.id } });
    expect(bodyAt(shown, 200).student.token).toBeNull();

    expect((await claim(email, {}, partner.code)).status).toBe(400);
    expect((await claim(email, { invitation_token: token }, partner.code)).status).toBe(200);
    // Once claimed, enrolling the student elsewhere issues no token.
    const other = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Second" } }), 201).exam.id;
    const second = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: other }, json: { email } });
    expect(bodyAt(second, 201).student.token).toBeNull();
    const [user] = await db().select().from(users).where(and(eq(users.institutionId, partner.institutionId), eq(users.email, email)));
    expect(user!.passwordHash).not.toBeNull();
  });

  it("a partner session refused as taken issues no invitation (its token would be written in the same batch)", async () => {
    const partner = await newPartner();
    const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Taken twice" } }), 201).exam.id;
    const email = uniqueEmail("taken");
    expect((await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email } })).status).toBe(201);
    const again = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email } });
    expect(again.status).toBe(422);
    const [user] = await db().select().from(users).where(and(eq(users.institutionId, partner.institutionId), eq(users.email, email)));
    expect(await db().select().from(invitations).where(eq(invitations.userId, user!.id))).toHaveLength(1);
  });

  it("a session moved to a new student's email gives that student a token (mailed); a move refused as taken issues none", async () => {
    const partner = await newPartner();
    const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Moved" } }), 201).exam.id;
    const first = bodyAt(await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email: uniqueEmail("first") } }), 201).student.id;
    const other = uniqueEmail("other");
    bodyAt(await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email: other } }), 201);
    const movedTo = uniqueEmail("moved");
    const moved = await partnerApi(sessionsUpdate("put"), { credentials: partner, params: { exam_id: exam, id: first }, json: { email: movedTo } });
    const token = bodyAt(moved, 200).student.token as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect((await mailsTo(movedTo))[0].TextBody).toContain(token);
    const tokensOf = async (email: string) => {
      const [user] = await db().select().from(users).where(and(eq(users.institutionId, partner.institutionId), eq(users.email, email)));
      return db().select().from(invitations).where(eq(invitations.userId, user!.id));
    };
    const before = (await tokensOf(other)).length;
    const clash = await partnerApi(sessionsUpdate("put"), { credentials: partner, params: { exam_id: exam, id: first }, json: { email: other } });
    expect(clash).toMatchObject({ status: 422, body: { email: ["has already been taken"] } });
    expect(await tokensOf(other)).toHaveLength(before);
  });
});
