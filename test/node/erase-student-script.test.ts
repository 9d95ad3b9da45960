import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM scripts without type declarations
import { erasureStatus, requestErasure } from "../../scripts/erase-student.mjs";
// @ts-expect-error: plain ESM scripts without type declarations
import { migrateDatabase } from "../../scripts/migrate.mjs";

const dir = mkdtempSync(join(tmpdir(), "trustid-erase-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scripts/erase-student.mjs", () => {
  it("records one erasure request per student, refuses instructors and unknown emails, and reports status", async () => {
    const url = `file:${join(dir, "db.sqlite")}`;
    await migrateDatabase(url);
    const client = createClient({ url });
    try {
      const inst = Number((await client.execute("SELECT id FROM institutions WHERE code = 'UCY'")).rows[0]!.id);
      const add = async (email: string, role: string) =>
        Number(
          (await client.execute({ sql: "INSERT INTO users (institution_id, email, name, surname, role) VALUES (?, ?, 'N', 'S', ?) RETURNING id", args: [inst, email, role] }))
            .rows[0]!.id,
        );
      const studentId = await add("student@example.org", "STUDENT");
      await add("teacher@example.org", "INSTRUCTOR");

      const first = await requestErasure(client, "UCY", "Student@Example.org", 1_000);
      expect(first).toEqual({ request_id: expect.any(Number), student_id: studentId, requested_at: new Date(1_000).toISOString(), records_erased_at: null, templates_erased_at: null });
      expect(await requestErasure(client, "UCY", "student@example.org", 2_000)).toEqual(first); // idempotent
      expect(Number((await client.execute("SELECT count(*) AS n FROM erasure_requests")).rows[0]!.n)).toBe(1);

      await expect(requestErasure(client, "UCY", "teacher@example.org")).rejects.toThrow(/instructor/);
      await expect(requestErasure(client, "UCY", "nobody@example.org")).rejects.toThrow(/No user/);
      await expect(requestErasure(client, "NOPE", "student@example.org")).rejects.toThrow(/No institution/);

      // After the Worker has erased the account, the request is found by student id.
      await client.execute({ sql: "DELETE FROM users WHERE id = ?", args: [studentId] });
      await client.execute({ sql: "UPDATE erasure_requests SET records_erased_at = 5000 WHERE student_id = ?", args: [studentId] });
      expect(await erasureStatus(client, "UCY", { studentId })).toMatchObject({ records_erased_at: new Date(5_000).toISOString(), templates_erased_at: null });
    } finally {
      client.close();
    }
  });
});
