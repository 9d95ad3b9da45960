import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("OpenAPI document", () => {
  it("documents the exam, student and monitoring endpoints", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      "/backend/instructor/add_exam",
      "/backend/instructor/update_exam_details",
      "/backend/instructor/list_exam",
      "/backend/instructor/manual_approve_student",
      "/backend/instructor/sync_courses_exams",
      "/backend/instructor/moodle_information",
      "/backend/update_exam_condition",
      "/backend/student/list_exam",
      "/backend/student/check_verification_status",
      "/backend/student/request_manual_approval",
      "/backend/student/submit_feedback",
      "/backend/student/checkup_process",
      "/backend/monitoring",
    ]) {
      expect(paths, p).toContain(p);
    }
  });
});
