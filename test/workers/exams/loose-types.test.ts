// Issue 18 part 4, from the client's side: what clients of the original backend send (booleans as
// "true"/1, numbers as strings, date-times without a zone, ip_address values that are not IPs) is accepted
// as the original accepted it; what is truly malformed is still a 400.
import { describe, expect, it } from "vitest";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { api, bodyAt, type RequestJson } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { instructorExamView, startedExamWithStudent } from "./support";

// The loose scalars' schemas take any value (and read it as the original did): these bodies type-check.
const addExam = (token: string, json: RequestJson<typeof addExamRoute>) => api(addExamRoute, { token, json });
const base = { name: "Loose", exam_type: "Written" as const, privacy_policy: "Monitored." };
const year = new Date().getUTCFullYear() + 1;

describe("loose scalar types", () => {
  it("add_exam: a date-time without zone is read in the institution's time zone; duration and booleans as text", async () => {
    const t = await newSession("INSTRUCTOR", "UPAT"); // Europe/Athens (migration 0009)
    const res = await addExam(t.access, { ...base, scheduled_date: `${year}-07-01T09:00:00`, duration: "90", additional_material: "true" });
    expect(res.status).toBe(200);
    const view = await instructorExamView(t.access, Number(bodyAt(res, 200).resource_str));
    expect(view).toMatchObject({ scheduled_date: `${year}-07-01T06:00:00.000Z`, duration: 90, additional_material: true });
    // The same text in another institution's zone (UCY: Asia/Nicosia, also +3 in July) and an explicit offset.
    const u = await newSession("INSTRUCTOR", "UC"); // UTC
    const utc = await addExam(u.access, { ...base, scheduled_date: `${year}-07-01 09:00`, duration: 90.0, additional_material: 0 });
    expect(await instructorExamView(u.access, Number(bodyAt(utc, 200).resource_str))).toMatchObject({ scheduled_date: `${year}-07-01T09:00:00.000Z`, additional_material: false });
    const zoned = await addExam(t.access, { ...base, scheduled_date: `${year}-07-01T09:00:00+02:00`, duration: 30 });
    expect(await instructorExamView(t.access, Number(bodyAt(zoned, 200).resource_str))).toMatchObject({ scheduled_date: `${year}-07-01T07:00:00.000Z` });
    // The offset forms Python's %z and Django write (+0200, +02), and lower-case t / z.
    const forms: [string, string][] = [[`${year}-07-01T09:00:00+0200`, "07:00"], [`${year}-07-01T09:00:00+02`, "07:00"], [`${year}-07-01t09:00:00z`, "09:00"]];
    for (const [text, utc] of forms) {
      const other = await addExam(t.access, { ...base, scheduled_date: text, duration: 30 });
      expect(await instructorExamView(t.access, Number(bodyAt(other, 200).resource_str)), text).toMatchObject({ scheduled_date: `${year}-07-01T${utc}:00.000Z` });
    }
  });

  it("add_exam: still refuses what is truly malformed", async () => {
    const t = await newSession("INSTRUCTOR");
    const bad = await addExam(t.access, { ...base, scheduled_date: `${year}-02-30T09:00:00`, duration: "ninety", additional_material: "maybe" });
    expect(bad.status).toBe(400);
    expect(expect400Shape(bodyAt(bad, 400)).bad_formatted_fields.sort()).toEqual(["additional_material", "duration", "scheduled_date"]);
    const frac = await addExam(t.access, { ...base, scheduled_date: `${year}-07-01T09:00:00Z`, duration: "90.5" });
    expect(bodyAt(frac, 400).bad_formatted_fields).toEqual(["duration"]);
    // No real time zone is 15 hours ahead or 23:59 behind.
    for (const text of [`${year}-07-01T09:00:00+15:00`, `${year}-07-01T09:00:00-23:59`, `${year}-07-01T09:00:00+02:75`]) {
      expect(bodyAt(await addExam(t.access, { ...base, scheduled_date: text, duration: 30 }), 400).bad_formatted_fields, text).toEqual(["scheduled_date"]);
    }
  });

  it("monitoring: booleans as \"true\"/\"false\"/1/0 and scores as text raise the same alerts", async () => {
    const { student, examId } = await startedExamWithStudent();
    const res = await api(monitoringRoute, {
      token: student.access,
      json: { exam_id: String(examId), is_face_detected: "false", is_multiple_face_results: 0, confidence_score: "0.31" },
    });
    expect(res.status).toBe(200);
    expect(bodyAt(res, 200).resource_array).toEqual(["no_face"]);
    const error = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, is_error_occurred: "1", error_type: "camera busy" } });
    expect(bodyAt(error, 200).resource_array).toEqual(["client_error: face: camera busy"]);
    const bad = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, is_face_detected: "perhaps", confidence_score: "high" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields.sort()).toEqual(["confidence_score", "is_face_detected"]);
    // The message says which forms are taken, not that text is refused ("0.93" is taken; a probe).
    const comma = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, confidence_score: "0,93" } });
    expect(JSON.stringify(comma.body)).toContain('Expected a number, as a JSON number (0.93) or its text (\\"0.93\\"), with a decimal point');
    // Decimal text only ("0x10" was read as 16), and null is told to be left out.
    for (const text of ["0x10", "0b11", "0o7", "Infinity"]) {
      expect((await api(monitoringRoute, { token: student.access, json: { exam_id: examId, confidence_score: text } })).status, text).toBe(400);
    }
    expect((await api(monitoringRoute, { token: student.access, json: { exam_id: examId, confidence_score: "1e-1" } })).status).toBe(200);
    const nothing = await api(monitoringRoute, { token: student.access, unchecked: { exam_id: examId, confidence_score: null } });
    expect(JSON.stringify(nothing.body)).toContain("leave the field out when there is none");
    // The same for the text and list fields, and a number too large to be one (1e400 parses as Infinity; a probe).
    const nulls = await api(monitoringRoute, { token: student.access, unchecked: { exam_id: examId, error_type: null, running_processes: null } });
    expect(JSON.stringify(nulls.body)).toContain("not null (leave an optional field out rather than send null)");
    const huge = await api(monitoringRoute, { token: student.access, raw: { body: `{"exam_id": ${examId}, "confidence_score": 1e400}`, contentType: "application/json" } });
    expect(JSON.stringify(huge.body)).toContain("Expected a finite number");
  });
});
