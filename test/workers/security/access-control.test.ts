// SECURITY.md "Access control": every TRUSTID operation but the public ones needs an access token, and
// another institution's (or colleague's) exam is indistinguishable from one that does not exist (404 with
// the same body), so ids cannot be probed.
import { describe, expect, it } from "vitest";
import { call, newSession } from "../helpers";
import { addExam, enrol, examBody } from "../exams/support";

const PUBLIC = new Set(["POST /backend/login", "POST /backend/register_user", "POST /backend/refresh_token", "GET /backend/trustid_version"]);

describe("authentication coverage", () => {
  it("answers 401 to every non-public /backend operation without a token, with a refresh token and with garbage", async () => {
    const { refresh } = await newSession("STUDENT");
    const doc = (await call("/openapi.json")).body;
    const operations: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
      if (!path.startsWith("/backend")) continue;
      for (const method of Object.keys(ops)) {
        const op = `${method.toUpperCase()} ${path}`;
        if (PUBLIC.has(op)) continue;
        operations.push(op);
        for (const authorization of [undefined, `Bearer ${refresh}`, "Bearer not.a.token"]) {
          const res = await call(path.replace(/\{[^}]+\}/g, "1"), {
            absolute: true,
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

    const probes: { token: string; path: string; json: (id: number) => unknown }[] = [
      ...[colleague, foreign].flatMap((i) => [
        { token: i.access, path: "/instructor/update_exam_details", json: (id: number) => ({ exam_id: id, ...examBody() }) },
        { token: i.access, path: "/instructor/manual_approve_student", json: (id: number) => ({ exam_id: id, email: enrolled.user.email }) },
        { token: i.access, path: "/update_exam_condition", json: (id: number) => ({ exam_id: id, condition: "Start" }) },
      ]),
      ...[foreignStudent, sameInstStudent].flatMap((s) => [
        { token: s.access, path: "/student/check_verification_status", json: (id: number) => ({ exam_id: id }) },
        { token: s.access, path: "/update_exam_condition", json: (id: number) => ({ exam_id: id, condition: "Join" }) },
      ]),
    ];
    for (const p of probes) {
      const real = await call(p.path, { token: p.token, json: p.json(examId) });
      const none = await call(p.path, { token: p.token, json: p.json(missing) });
      expect(real.status, p.path).toBe(404);
      expect(none.status, p.path).toBe(404);
      const normalise = (body: any) => JSON.parse(JSON.stringify(body).replaceAll(String(missing), "ID").replaceAll(String(examId), "ID"));
      expect(normalise(real.body), p.path).toEqual(normalise(none.body));
    }
  });
});
