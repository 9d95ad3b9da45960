import { describe, expect, it } from "vitest";
import { call, expect400Shape, newSession } from "../helpers";
import { addExam, examBody, instructorExamView, isoIn } from "./support";

describe("POST /backend/instructor/add_exam", () => {
  it("creates an exam the instructor then sees in list_exam", async () => {
    const t = await newSession("INSTRUCTOR");
    const res = await call("/instructor/add_exam", {
      token: t.access,
      json: examBody({ name: "Databases", additional_material: true, forbidden_processes: ["AnyDesk*", "teamviewer.exe"] }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource_name: "examination", resource_str: expect.stringMatching(/^\d+$/) });
    const view = await instructorExamView(t.access, Number(res.body.resource_str));
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
    const past = await call("/instructor/add_exam", { token: t.access, json: examBody({ scheduled_date: isoIn(-5) }) });
    expect(past.status).toBe(400);
    expect(expect400Shape(past.body).bad_formatted_fields).toEqual(["scheduled_date"]);

    const bad = await call("/instructor/add_exam", {
      token: t.access,
      json: { exam_type: "Essay", duration: 0, scheduled_date: "tomorrow", privacy_policy: "p" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.missing_required_fields).toEqual(["name"]);
    expect(bad.body.bad_formatted_fields).toEqual(expect.arrayContaining(["exam_type", "duration", "scheduled_date"]));

    const noZone = await call("/instructor/add_exam", { token: t.access, json: examBody({ scheduled_date: "2030-01-01T10:00:00" }) });
    expect(noZone.status).toBe(400);
    const badPattern = await call("/instructor/add_exam", { token: t.access, json: examBody({ forbidden_processes: ["*"] }) });
    expect(badPattern.status).toBe(400);
    expect(badPattern.body.bad_formatted_fields).toEqual(["forbidden_processes"]);

    const list = await call("/instructor/list_exam", { token: t.access });
    expect(list.body.resource_array).toEqual([]);
  });

  it("needs an instructor's token", async () => {
    expect((await call("/instructor/add_exam", { json: examBody() })).status).toBe(401);
    const s = await newSession("STUDENT");
    expect((await call("/instructor/add_exam", { token: s.access, json: examBody() })).status).toBe(403);
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
    const res = await call("/instructor/list_exam", { token: a.access });
    expect(res.status).toBe(200);
    expect(res.body.resource_array.map((e: any) => e.exam_id)).toEqual([String(mine)]);
  });

  it("needs an instructor's token", async () => {
    expect((await call("/instructor/list_exam")).status).toBe(401);
    const s = await newSession("STUDENT");
    expect((await call("/instructor/list_exam", { token: s.access })).status).toBe(403);
  });
});
