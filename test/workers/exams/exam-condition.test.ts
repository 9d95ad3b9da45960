import { describe, expect, it } from "vitest";
import { call, expect400Shape, newSession } from "../helpers";
import { addExam, approve, condition, enrol, examBody, instructorExamView, isoIn } from "./support";

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
    await call("/instructor/update_exam_details", { token: t.access, json: { ...examBody({ scheduled_date: isoIn(-100), duration: 10 }), exam_id: id } });
    const late = await condition(t.access, id, "Start");
    expect(late.status).toBe(400);
    expect(expect400Shape(late.body).bad_formatted_fields).toEqual(["exam_id"]);
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
    expect(early.body.error_details.exam_id[0]).toMatch(/not started/);
    await condition(t.access, id, "Start");
    const unverified = await condition(s.access, id, "Join");
    expect(unverified.status).toBe(400);
    expect(unverified.body.error_details.exam_id[0]).toMatch(/not been verified/);
    expect((await condition(s.access, id, "Leave")).status).toBe(400); // never joined

    await approve(t.access, id, s.user.email);
    const joined = await condition(s.access, id, "Join");
    expect(joined.status).toBe(200);
    expect(joined.body.resource_str).toBe("Started");
    expect((await condition(s.access, id, "Join")).body.message).toMatch(/Already/);
    let me = (await instructorExamView(t.access, id)).enrolled_students[0];
    expect(me.joined_at).toEqual(expect.any(String));
    expect(me.left_at).toBeNull();

    expect((await condition(s.access, id, "Leave")).status).toBe(200);
    expect((await condition(s.access, id, "Leave")).status).toBe(400); // already left
    me = (await instructorExamView(t.access, id)).enrolled_students[0];
    expect(me.left_at).toEqual(expect.any(String));
    expect((await condition(s.access, id, "Join")).status).toBe(200); // rejoining (e.g. after a crash) is allowed
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
    const bad = await call("/update_exam_condition", { token: s.access, json: { exam_id: "abc", condition: "Pause" } });
    expect(bad.status).toBe(400);
    expect(bad.body.bad_formatted_fields).toEqual(expect.arrayContaining(["exam_id", "condition"]));
    expect((await call("/update_exam_condition", { json: { exam_id: id, condition: "Join" } })).status).toBe(401);
  });
});
