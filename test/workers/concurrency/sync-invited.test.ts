// Syncs run at once, one per exam of one instructor, all listing the same email the institution did not know: one
// account is created, and `invited` ("accounts created for emails the institution did not know") adds up to 1 over the
// answers, as it does one after another. A probe's three answers each said `invited: 1` (each counted the email it had
// read as unknown, not what its own insert did). (probe AB)
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../../src/db/schema";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { api, bodyAt } from "../api";
import { newSession, uniqueEmail } from "../helpers";
import { addExam, db } from "../exams/support";

describe("concurrent syncs listing the same new email", () => {
  it("count the account as invited once", async () => {
    const t = await newSession("INSTRUCTOR");
    const exams = [await addExam(t.access), await addExam(t.access), await addExam(t.access)];
    // Several rounds: without a database far away, the syncs overlap in some rounds only.
    for (let round = 0; round < 8; round++) {
      const email = uniqueEmail("newcomer");
      const answers = await Promise.all(
        exams.map((examId) => api(syncCoursesExams, { token: t.access, json: { details: { exam_id: examId, students: [{ email, name: "New", surname: "Comer" }] } } })),
      );
      const results = answers.map((a) => bodyAt(a, 200).resource_dict);
      expect(results.map((r) => r.enrolled), email).toEqual([1, 1, 1]);
      expect(results.reduce((n, r) => n + r.invited, 0), email).toBe(1);
      const accounts = await db().select().from(users).where(eq(users.email, email)); // a unique address: no other institution has it
      expect(accounts, email).toHaveLength(1);
    }
  });
});
