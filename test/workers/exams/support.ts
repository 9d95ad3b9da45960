// Helpers for the exam, student, monitoring and Moodle tests: fresh data per test, no shared rows.
import { inject } from "vitest";
import { openDb } from "../../../src/db/client";
import { institutions } from "../../../src/db/schema";
import { call, newSession, uniqueEmail } from "../helpers";

export const db = () => openDb(inject("databaseUrl"));
export const moodleUrl = () => inject("moodleUrl");

export const isoIn = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** A fresh institution (its own code), optionally with a Moodle site. */
export async function newInstitution(moodle?: { url: string; token: string }) {
  const code = `T${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`;
  const [row] = await db()
    .insert(institutions)
    .values({ code, name: `Test ${code}`, moodleUrl: moodle?.url ?? null, moodleToken: moodle?.token ?? null })
    .returning();
  return row!;
}

export const examBody = (over: Record<string, unknown> = {}) => ({
  name: "Algorithms final",
  exam_type: "Written",
  duration: 90,
  scheduled_date: isoIn(60),
  privacy_policy: "Your camera and microphone are monitored during the exam.",
  ...over,
});

export async function addExam(token: string, over: Record<string, unknown> = {}): Promise<number> {
  const res = await call("/instructor/add_exam", { token, json: examBody(over) });
  if (res.status !== 200) throw new Error(`add_exam failed: ${res.status} ${JSON.stringify(res.body)}`);
  return Number(res.body.resource_str);
}

export async function enrol(token: string, examId: number, emails: string[]) {
  const res = await call("/instructor/sync_courses_exams", {
    token,
    json: { details: { exam_id: examId, students: emails.map((email) => ({ email, name: "S", surname: email.slice(0, 8) })) } },
  });
  if (res.status !== 200) throw new Error(`sync failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.resource_dict;
}

export async function condition(token: string, examId: number, condition: "Start" | "Join" | "Leave") {
  return call("/update_exam_condition", { token, json: { exam_id: examId, condition } });
}

export async function approve(token: string, examId: number, email: string) {
  const res = await call("/instructor/manual_approve_student", { token, json: { exam_id: examId, email } });
  if (res.status !== 200) throw new Error(`approve failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** An instructor with a started exam and a verified, joined student in it. */
export async function startedExamWithStudent(org = "UCY", over: Record<string, unknown> = {}) {
  const teacher = await newSession("INSTRUCTOR", org);
  const student = await newSession("STUDENT", org);
  const examId = await addExam(teacher.access, over);
  await enrol(teacher.access, examId, [student.user.email]);
  await approve(teacher.access, examId, student.user.email);
  const started = await condition(teacher.access, examId, "Start");
  if (started.status !== 200) throw new Error(`start failed: ${JSON.stringify(started.body)}`);
  const joined = await condition(student.access, examId, "Join");
  if (joined.status !== 200) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  return { teacher, student, examId };
}

export async function instructorExamView(token: string, examId: number) {
  const res = await call("/instructor/list_exam", { token });
  if (res.status !== 200) throw new Error(`list failed: ${res.status}`);
  return res.body.resource_array.find((e: any) => e.exam_id === String(examId));
}

export { uniqueEmail };
