// Issue 18 part 3: a partner runs an exam end to end through /api/v3 alone: it opens (and so starts) the
// exam, sessions join from their open_time, and the exam closes at its end_time. One lifecycle
// (src/services/exams/lifecycle.ts) answers both APIs.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { enrolments, exams } from "../../../src/db/schema";
import { condition } from "../exams/support";
import { call, loginAs, registerUser, uniqueEmail } from "../helpers";
import { db, newPartner, type Partner, partnerCall } from "./helpers";

const secs = (ms: number) => Math.floor(ms / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A session's student who claimed the account with the session's token and logged in. */
async function joinedStudent(partner: Partner, examId: number, params: Record<string, string | number> = {}) {
  const email = uniqueEmail("pstudent");
  const created = await partnerCall(partner, "POST", "/exams/:exam_id/student_sessions", { path: { exam_id: examId }, params: { email, ...params } });
  expect(created.status).toBe(201);
  const tokens = await loginAs(await registerUser({ email, organization: partner.code }, created.body.student.token));
  // The identity check itself (face or manual) is tested elsewhere; here the student is verified.
  await db().update(enrolments).set({ verificationStatus: "Verified", verifiedAt: Date.now(), verifiedBy: "manual" }).where(eq(enrolments.id, created.body.student.id));
  return { session: created.body.student.id as number, access: tokens.access };
}

describe("a partner exam's lifecycle through /api/v3 alone", () => {
  it("open starts it when its window comes; sessions join from their open_time; it closes at end_time", async () => {
    const partner = await newPartner();
    const now = Date.now();
    const created = await partnerCall(partner, "POST", "/exams", {
      params: { name: "Runs by itself", status: "open", start_time: secs(now) - 60, end_time: secs(now) + 4 },
    });
    expect(created.status).toBe(201);
    const examId = created.body.exam.id as number;
    expect(created.body.exam).toMatchObject({ status: "open", started_at: new Date((secs(now) - 60) * 1000).toISOString(), completed_at: null });
    const [row] = await db().select().from(exams).where(eq(exams.id, examId));
    expect(row!.status).toBe("Started");

    // A session that opens later cannot join yet; once its open_time is moved to now, it can.
    const later = await joinedStudent(partner, examId, { open_time: secs(now) + 3600 });
    const refused = await condition(later.access, examId, "Join");
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/session opens at/);
    await partnerCall(partner, "PATCH", "/exams/:exam_id/student_sessions/:id", { path: { exam_id: examId, id: later.session }, params: { open_time: secs(now) - 1 } });
    expect((await condition(later.access, examId, "Join")).status).toBe(200);
    const shown = await partnerCall(partner, "GET", "/exams/:exam_id/student_sessions/:id", { path: { exam_id: examId, id: later.session } });
    expect(shown.body.student.status).toBe("exam_started");

    // At end_time the exam closes by itself: the partner sees it closed and the session finished.
    await sleep(Math.max(0, (secs(now) + 4) * 1000 - Date.now()) + 300);
    const closed = await partnerCall(partner, "GET", "/exams/:id", { path: { id: examId } });
    expect(closed.body.exam).toMatchObject({ status: "closed", completed_at: new Date((secs(now) + 4) * 1000).toISOString() });
    const finished = await partnerCall(partner, "GET", "/exams/:exam_id/student_sessions/:id", { path: { exam_id: examId, id: later.session } });
    expect(finished.body.student.status).toBe("exam_finished");
    const lateJoin = await joinedStudent(partner, examId).catch((e: Error) => e);
    expect(lateJoin).toBeInstanceOf(Error); // no new sessions in a closed exam
  }, 20_000);

  it("a draft exam whose window has come waits; opening it starts it, and a TRUSTID student sees it Started", async () => {
    const partner = await newPartner();
    const now = Date.now();
    const created = await partnerCall(partner, "POST", "/exams", { params: { name: "Draft first", status: "draft", start_time: secs(now) - 10, duration: 30 } });
    const examId = created.body.exam.id as number;
    expect(created.body.exam).toMatchObject({ status: "draft", started_at: null });
    const student = await joinedStudent(partner, examId);
    expect((await condition(student.access, examId, "Join")).status).toBe(400); // not started

    const opened = await partnerCall(partner, "PATCH", "/exams/:id", { path: { id: examId }, params: { status: "open" } });
    expect(opened.body.exam).toMatchObject({ status: "open", started_at: expect.any(String) });
    const list = await call("/student/list_exam", { token: student.access });
    expect(list.body.resource_array[0]).toMatchObject({ exam_id: String(examId), status: "Started" });
    expect((await condition(student.access, examId, "Join")).status).toBe(200);
    // The partner index filters by the same derived status.
    const open = await partnerCall(partner, "GET", "/exams", { params: { status: "open" } });
    expect(open.body.exams.map((e: { id: number }) => e.id)).toEqual([examId]);
  });

  it("an open exam scheduled later stays upcoming until its start_time", async () => {
    const partner = await newPartner();
    const start = secs(Date.now()) + 3600;
    const created = await partnerCall(partner, "POST", "/exams", { params: { name: "Tomorrow", status: "open", start_time: start } });
    expect(created.body.exam).toMatchObject({ status: "open", started_at: null });
    const [row] = await db().select().from(exams).where(eq(exams.id, created.body.exam.id));
    expect(row!.status).toBe("Upcoming");
    // It can still be deleted (not in progress).
    expect((await partnerCall(partner, "DELETE", "/exams/:id", { path: { id: created.body.exam.id } })).status).toBe(200);
  });
});
