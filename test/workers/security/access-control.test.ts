// SECURITY.md "Access control": every TRUSTID operation but the public ones needs an access token, and
// another institution's (or colleague's) exam is indistinguishable from one that does not exist (404 with
// the same body), so ids cannot be probed.
import { describe, expect, it } from "vitest";
import { route as updateExamCondition } from "../../../src/routes/exams/update-exam-condition";
import { route as manualApproveStudent } from "../../../src/routes/instructor/manual-approve-student";
import { route as updateExamDetails } from "../../../src/routes/instructor/update-exam-details";
import { route as checkVerificationStatus } from "../../../src/routes/student/check-verification-status";
import { api, raw } from "../api";
import { newSession } from "../helpers";
import { addExam, enrol, examBody } from "../exams/support";

const PUBLIC = new Set(["POST /backend/login", "POST /backend/register_user", "POST /backend/refresh_token", "GET /backend/trustid_version"]);

describe("authentication coverage", () => {
  it("answers 401 to every non-public /backend operation without a token, with a refresh token and with garbage", async () => {
    const { refresh } = await newSession("STUDENT");
    // Every operation the OpenAPI document lists (no route defines the document's path: raw).
    const doc = (await raw("/backend/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const operations: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith("/backend")) continue;
      for (const method of Object.keys(ops)) {
        const op = `${method.toUpperCase()} ${path}`;
        if (PUBLIC.has(op)) continue;
        operations.push(op);
        for (const authorization of [undefined, `Bearer ${refresh}`, "Bearer not.a.token"]) {
          const res = await raw(path.replace(/\{[^}]+\}/g, "1"), {
            method: method.toUpperCase(),
            headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
            body: method === "get" ? undefined : "{}",
          });
          expect(res.status, `${op} with ${authorization ?? "no token"}`).toBe(401);
          expect(res.body).toEqual({ message: expect.any(String) });
        }
      }
    }
    expect(operations.length).toBeGreaterThan(25); // the document was read, not empty
  });
});

describe("no existence oracle across institutions and instructors", () => {
  it("answers a foreign or colleague's exam exactly like an exam that does not exist", async () => {
    const owner = await newSession("INSTRUCTOR", "UCY");
    const colleague = await newSession("INSTRUCTOR", "UCY");
    const foreign = await newSession("INSTRUCTOR", "UPAT");
    const foreignStudent = await newSession("STUDENT", "UPAT");
    const sameInstStudent = await newSession("STUDENT", "UCY");
    const enrolled = await newSession("STUDENT", "UCY");
    const examId = await addExam(owner.access);
    await enrol(owner.access, examId, [enrolled.user.email]);
    const missing = examId + 1_000_000;

    const probes: { path: string; send: (id: number) => Promise<{ status: number; body: unknown }> }[] = [
      ...[colleague, foreign].flatMap((i) => [
        { path: updateExamDetails.path, send: (id: number) => api(updateExamDetails, { token: i.access, json: { exam_id: id, ...examBody() } }) },
        { path: manualApproveStudent.path, send: (id: number) => api(manualApproveStudent, { token: i.access, json: { exam_id: id, email: enrolled.user.email } }) },
        { path: updateExamCondition.path, send: (id: number) => api(updateExamCondition, { token: i.access, json: { exam_id: id, condition: "Start" } }) },
      ]),
      ...[foreignStudent, sameInstStudent].flatMap((s) => [
        { path: checkVerificationStatus.path, send: (id: number) => api(checkVerificationStatus, { token: s.access, json: { exam_id: id } }) },
        { path: updateExamCondition.path, send: (id: number) => api(updateExamCondition, { token: s.access, json: { exam_id: id, condition: "Join" } }) },
      ]),
    ];
    for (const p of probes) {
      const real = await p.send(examId);
      const none = await p.send(missing);
      expect(real.status, p.path).toBe(404);
      expect(none.status, p.path).toBe(404);
      const normalise = (body: unknown) => JSON.parse(JSON.stringify(body).replaceAll(String(missing), "ID").replaceAll(String(examId), "ID"));
      expect(normalise(real.body), p.path).toEqual(normalise(none.body));
    }
  });
});
