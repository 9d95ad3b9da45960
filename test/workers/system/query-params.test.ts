// A query parameter given more than once (routes/schemas.ts `queryParams`): with the same value it is that value, as
// given once; with different values a 400 that says so. A probe's `?exam_id=7&exam_id=7` was told "Expected an exam id
// (an integer)". (probe Z)
import { describe, expect, it } from "vitest";
import { raw } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { addExam, enrol } from "../exams/support";

type ErrorBody = { bad_formatted_fields: string[]; error_details: Record<string, string[]> };

describe("a query parameter given more than once", () => {
  it("with the same value is that value; with different values a 400 naming it", async () => {
    const teacher = await newSession("INSTRUCTOR");
    const student = await newSession("STUDENT");
    const examId = await addExam(teacher.access);
    const other = await addExam(teacher.access);
    await enrol(teacher.access, examId, [student.user.email]);

    const cases: [token: string, path: string, name: string, value: string, otherValue: string][] = [
      [teacher.access, "/backend/instructor/decisions", "exam_id", String(examId), String(other)],
      [teacher.access, `/backend/instructor/decisions?exam_id=${examId}`, "page_size", "5", "6"],
      [teacher.access, "/backend/instructor/decision_report", "exam_id", String(examId), String(other)],
      [student.access, "/backend/student/my_data", "exam_id", String(examId), String(other)],
      [student.access, "/backend/student/decisions", "page", "1", "2"],
      [student.access, "/backend/biometrics/push_notification", "export_id", crypto.randomUUID(), crypto.randomUUID()],
    ];
    for (const [token, path, name, value, otherValue] of cases) {
      const at = (...values: string[]) => `${path}${path.includes("?") ? "&" : "?"}${values.map((v) => `${name}=${v}`).join("&")}`;
      const once = await raw(at(value), { token });
      expect([200, 404], at(value)).toContain(once.status); // 404: no export with that id
      const twice = await raw(at(value, value), { token });
      expect(twice.status, at(value, value)).toBe(once.status);
      // my_data and the report carry the time they were made; the rest must be the same answer.
      if (!path.includes("my_data") && !path.includes("decision_report")) expect(twice.body, at(value, value)).toEqual(once.body);

      const different = await raw(at(value, otherValue), { token });
      expect(different.status, at(value, otherValue)).toBe(400);
      const body = expect400Shape(different.body as ErrorBody);
      expect(body.bad_formatted_fields).toEqual([name]);
      expect(body.error_details[name]).toEqual([`${name} was given more than once with different values; give it once.`]);
    }
  });
});
