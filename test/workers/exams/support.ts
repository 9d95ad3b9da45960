// Helpers for the exam, student, monitoring and Moodle tests: fresh data per test, no shared rows.
import { inject } from "vitest";
import { openDb } from "../../../src/db/client";
import { institutions } from "../../../src/db/schema";
import { route as updateExamCondition } from "../../../src/routes/exams/update-exam-condition";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as listInstructorExams } from "../../../src/routes/instructor/list-exam";
import { route as manualApproveStudent } from "../../../src/routes/instructor/manual-approve-student";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { api, bodyAt, type RequestJson } from "../api";
import { newSession, uniqueEmail } from "../helpers";

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

type ExamBody = RequestJson<typeof addExamRoute>;

export const examBody = (over: Partial<ExamBody> = {}): ExamBody => ({
  name: "Algorithms final",
  exam_type: "Written",
  duration: 90,
  scheduled_date: isoIn(60),
  privacy_policy: "Your camera and microphone are monitored during the exam.",
  ...over,
});

export async function addExam(token: string, over: Partial<ExamBody> = {}): Promise<number> {
  const res = await api(addExamRoute, { token, json: examBody(over) });
  return Number(bodyAt(res, 200).resource_str);
}

export async function enrol(token: string, examId: number, emails: string[]) {
  const res = await api(syncCoursesExams, {
    token,
    json: { details: { exam_id: examId, students: emails.map((email) => ({ email, name: "S", surname: email.slice(0, 8) })) } },
  });
  return bodyAt(res, 200).resource_dict;
}

export async function condition(token: string, examId: number, condition: "Start" | "Join" | "Leave") {
  return api(updateExamCondition, { token, json: { exam_id: examId, condition } });
}

export async function approve(token: string, examId: number, email: string) {
  bodyAt(await api(manualApproveStudent, { token, json: { exam_id: examId, email } }), 200);
}

/** An instructor with a started exam and a verified, joined student in it. */
export async function startedExamWithStudent(org = "UCY", over: Partial<ExamBody> = {}) {
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
  const exams = bodyAt(await api(listInstructorExams, { token }), 200).resource_array;
  const exam = exams.find((e) => e.exam_id === String(examId));
  if (!exam) throw new Error(`exam ${examId} is not in the instructor's list`);
  return exam;
}

export { uniqueEmail };
