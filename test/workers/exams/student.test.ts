import { describe, expect, it } from "vitest";
import { processPolicies } from "../../../src/db/schema";
import { route as checkVerificationStatus } from "../../../src/routes/student/check-verification-status";
import { route as checkupProcess } from "../../../src/routes/student/checkup-process";
import { route as listStudentExams } from "../../../src/routes/student/list-exam";
import { route as requestManualApproval } from "../../../src/routes/student/request-manual-approval";
import { route as submitFeedback } from "../../../src/routes/student/submit-feedback";
import { api, bodyAt, type RequestJson } from "../api";
import { expect400Shape, loginAs, newSession, registerUser } from "../helpers";
import { addExam, approve, db, enrol, instructorExamView, newInstitution } from "./support";

describe("GET /backend/student/list_exam", () => {
  it("lists only the exams the student is enrolled in, with their verification status", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const mine = await addExam(t.access, { name: "Mine" });
    await addExam(t.access, { name: "Not mine" });
    await enrol(t.access, mine, [s.user.email]);
    const res = await api(listStudentExams, { token: s.access });
    expect(res.status).toBe(200);
    const body = bodyAt(res, 200);
    expect(body.resource_array).toEqual([
      expect.objectContaining({ exam_id: String(mine), name: "Mine", status: "Upcoming", verification_status: "Pending" }),
    ]);
    expect(body.resource_array[0]).not.toHaveProperty("enrolled_students");
  });

  it("needs a student's token", async () => {
    expect((await api(listStudentExams)).status).toBe(401);
    const t = await newSession("INSTRUCTOR");
    expect((await api(listStudentExams, { token: t.access })).status).toBe(403);
  });
});

describe("student verification, manual approval requests and feedback", () => {
  it("request_manual_approval moves Pending to Requested, once; approval then verifies", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const check = async () => bodyAt(await api(checkVerificationStatus, { token: s.access, json: { exam_id: id } }), 200);
    expect(await check()).toMatchObject({ resource_name: "examination", resource_bool: false, resource_str: "Pending" });

    const req = { token: s.access, json: { exam_id: id, manual_approval_type: "Face not recognised" } };
    expect((await api(requestManualApproval, req)).status).toBe(200);
    expect((await check()).resource_str).toBe("Requested Manual Approval");
    const again = await api(requestManualApproval, req);
    expect(again.status).toBe(400);
    expect(expect400Shape(bodyAt(again, 400)).already_exists_fields).toEqual(["exam_id"]);
    // The instructor sees the request with the student's reason (issue 18 part 5).
    const requested = (await instructorExamView(t.access, id)).enrolled_students[0]!;
    expect(requested.verification_status).toBe("Requested Manual Approval");
    expect(requested.manual_approval).toEqual({ reason: "Face not recognised", status: "Requested", requested_at: expect.any(String), decided_at: null });

    await approve(t.access, id, s.user.email);
    const approved = (await instructorExamView(t.access, id)).enrolled_students[0]!.manual_approval;
    expect(approved).toMatchObject({ reason: "Face not recognised", status: "Approved", decided_at: expect.any(String) });
    expect(await check()).toMatchObject({ resource_bool: true, resource_str: "Verified" });
    const afterVerified = await api(requestManualApproval, req);
    expect(afterVerified.status).toBe(400);
    expect(bodyAt(afterVerified, 400).error_details.exam_id![0]).toMatch(/already verified/);
  });

  it("answers 404 for exams the student is not enrolled in (own or other institution), 400 for bad input", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const foreign = await newSession("STUDENT", "UPAT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    // Each endpoint with a valid body, sent with the given token (or none).
    const endpoints: [string, (token?: string) => Promise<{ status: number; body: unknown }>][] = [
      [checkVerificationStatus.path, (token) => api(checkVerificationStatus, { token, json: { exam_id: id } })],
      [requestManualApproval.path, (token) => api(requestManualApproval, { token, json: { exam_id: id, manual_approval_type: "x" } })],
      [submitFeedback.path, (token) => api(submitFeedback, { token, json: { exam_id: id, cheat_mode: "Communication", feedback: "x" } })],
    ];
    for (const [path, send] of endpoints) {
      const outsider = await newSession("STUDENT");
      const res = await send(outsider.access);
      expect(res.status, path).toBe(404);
      expect(res.body).toMatchObject({ resource_name: "examination", resource_str: String(id) });
      expect((await send(foreign.access)).status, path).toBe(404);
      expect((await send(t.access)).status, path).toBe(403);
      expect((await send()).status, path).toBe(401);
    }
    const bad = await api(checkVerificationStatus, { token: s.access, unchecked: {} });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).missing_required_fields).toEqual(["exam_id"]);
  });

  it("submit_feedback records Communication/Impersonation feedback and refuses other modes", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const ok = await api(submitFeedback, {
      token: s.access,
      json: { exam_id: id, cheat_mode: "Impersonation", feedback: "Someone else was in the room" },
    });
    expect(ok.status).toBe(200);
    expect(bodyAt(ok, 200).resource_name).toBe("examination");
    // The instructor sees it on the student's row (issue 18 part 5); none of it for students who sent none.
    const row = (await instructorExamView(t.access, id)).enrolled_students[0]!;
    expect(row.feedback).toEqual([{ cheat_mode: "Impersonation", feedback: "Someone else was in the room", submitted_at: expect.any(String) }]);
    expect(row.manual_approval).toBeNull();
    const bad = await api(submitFeedback, { token: s.access, unchecked: { exam_id: id, cheat_mode: "Other", feedback: "" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(expect.arrayContaining(["cheat_mode", "feedback"]));
    // At most 20 per student and exam (a probe's loop made the instructor's list 150 MB), also when sent at once.
    const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => api(submitFeedback, { token: s.access, json: { exam_id: id, cheat_mode: "Communication", feedback: `#${i}` } })));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(19);
    const refused = burst.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, (r.body as { bad_formatted_fields?: string[] }).bad_formatted_fields])).toEqual(refused.map(() => [400, ["feedback"]]));
    expect((await instructorExamView(t.access, id)).enrolled_students[0]!.feedback).toHaveLength(20);
  });

  it("takes feedback at its documented 5,000 characters in Greek or emoji, however the client's JSON escapes it", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    // Python's json.dumps (ensure_ascii): every non-ASCII character as a 6-byte \uXXXX escape.
    const escaped = (text: string) => JSON.stringify({ exam_id: id, cheat_mode: "Communication", feedback: text }).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const send = (text: string) => api(submitFeedback, { token: s.access, raw: { contentType: "application/json", body: escaped(text) } });
    expect((await send("λ".repeat(5000))).status).toBe(200);
    expect(bodyAt(await send("λ".repeat(5001)), 400).bad_formatted_fields).toEqual(["feedback"]);
    // An emoji is one character but two escapes (a surrogate pair: 12 bytes).
    expect((await send("😀".repeat(5000))).status).toBe(200);
    expect(bodyAt(await send("😀".repeat(5001)), 400).bad_formatted_fields).toEqual(["feedback"]);
  });
});

describe("POST /backend/student/checkup_process", () => {
  const checkup = (token: string, json: RequestJson<typeof checkupProcess>) => api(checkupProcess, { token, json });

  it("returns the processes the exam's policy forbids (case-insensitive wildcards), array or string", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access, { forbidden_processes: ["anydesk*", "team?iewer.exe", "discord.exe"] });
    await enrol(t.access, id, [s.user.email]);
    const res = await checkup(s.access, {
      exam_id: id,
      running_processes: ["chrome.exe", "AnyDesk.exe", "C:\\Apps\\TeamViewer.exe", "Discord.exe", "discord.exe", "notepad.exe"],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resource_name: "process",
      resource_array: ["AnyDesk.exe", "C:\\Apps\\TeamViewer.exe", "Discord.exe"],
      resource_bool: false,
    });
    const asString = await checkup(s.access, { exam_id: String(id), running_processes: "explorer.exe, anydesk\nzoom.exe" });
    expect(bodyAt(asString, 200).resource_array).toEqual(["anydesk"]);
    // Without an exam, only the institution's policy applies: none is set for UCY in tests, so the default
    // list (which has AnyDesk, not Discord).
    const noExam = await checkup(s.access, { running_processes: ["AnyDesk.exe", "Discord.exe"] });
    expect(noExam.body).toMatchObject({ resource_array: ["AnyDesk.exe"], resource_bool: false });
    const clean = await checkup(s.access, { running_processes: ["Discord.exe", "notepad.exe"] });
    expect(clean.body).toMatchObject({ resource_array: [], resource_bool: true });
  });

  it("applies the institution's patterns to every exam, and the exam's own only to that exam", async () => {
    const inst = await newInstitution();
    await db().insert(processPolicies).values({ institutionId: inst.id, examId: null, pattern: "cheat*", createdAt: Date.now() });
    const t = await loginAs(await registerUser({ role: "INSTRUCTOR", organization: inst.code }));
    const su = await registerUser({ role: "STUDENT", organization: inst.code });
    const s = await loginAs(su);
    const id = await addExam(t.access, { forbidden_processes: ["zoom*"] });
    await enrol(t.access, id, [su.email]);
    const running = ["CheatEngine.exe", "Zoom.exe", "word.exe"];
    const withoutExam = await checkup(s.access, { running_processes: running });
    expect(bodyAt(withoutExam, 200).resource_array).toEqual(["CheatEngine.exe"]);
    const withExam = await checkup(s.access, { exam_id: id, running_processes: running });
    expect(bodyAt(withExam, 200).resource_array).toEqual(["CheatEngine.exe", "Zoom.exe"]);
    // Other institutions are unaffected by this one's policy.
    const elsewhere = await newSession("STUDENT", "UC");
    expect(bodyAt(await checkup(elsewhere.access, { running_processes: running }), 200).resource_array).toEqual([]);
  });

  it("bounds the list, and answers 404/403/401 like the other student endpoints", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const many = Array.from({ length: 501 }, (_, i) => `p${i}.exe`);
    const tooMany = await checkup(s.access, { exam_id: id, running_processes: many });
    expect(tooMany.status).toBe(400);
    expect(bodyAt(tooMany, 400).bad_formatted_fields).toEqual(["running_processes"]);
    const tooManyAsString = await checkup(s.access, { exam_id: id, running_processes: many.join(",") });
    expect(tooManyAsString.status).toBe(400);
    const huge = await api(checkupProcess, {
      token: s.access,
      raw: { body: JSON.stringify({ running_processes: "x".repeat(300_000) }), contentType: "application/json" },
    });
    expect(huge.status).toBe(413);
    expect(bodyAt(await api(checkupProcess, { token: s.access, unchecked: {} }), 400).missing_required_fields).toEqual(["running_processes"]);
    const outsider = await newSession("STUDENT");
    expect((await checkup(outsider.access, { exam_id: id, running_processes: [] })).status).toBe(404);
    expect((await checkup(t.access, { running_processes: [] })).status).toBe(403);
    expect((await api(checkupProcess, { json: { running_processes: [] } })).status).toBe(401);
  });
});
