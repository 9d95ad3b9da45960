// A student's manual-approval request sent five times at once (a double-clicking client): one succeeds,
// the others are the documented "already pending" 400, and exactly one request row exists
// (src/services/exams/verification.ts requestManualApproval writes the row only in the batch that moved the enrolment).
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { manualApprovalRequests } from "../../../src/db/schema";
import { route as requestManualApproval } from "../../../src/routes/student/request-manual-approval";
import { api } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { addExam, db, enrol } from "../exams/support";

describe("concurrent manual approval requests", () => {
  it("record one request", async () => {
    const t = await newSession("INSTRUCTOR");
    const s = await newSession("STUDENT");
    const id = await addExam(t.access);
    await enrol(t.access, id, [s.user.email]);
    const req = { token: s.access, json: { exam_id: id, manual_approval_type: "Face not recognised" } };
    const answers = await Promise.all(Array.from({ length: 5 }, () => api(requestManualApproval, req)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400, 400]);
    for (const a of answers.filter((x) => x.status === 400)) expect(expect400Shape(a.body).already_exists_fields).toEqual(["exam_id"]);
    const rows = await db().select().from(manualApprovalRequests).where(and(eq(manualApprovalRequests.examId, id), eq(manualApprovalRequests.status, "Requested")));
    expect(rows).toHaveLength(1);
  });
});
