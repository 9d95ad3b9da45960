import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM scripts without type declarations
import { configureInstitution } from "../../scripts/institution.mjs";
// @ts-expect-error: plain ESM scripts without type declarations
import { migrateDatabase } from "../../scripts/migrate.mjs";

const dir = mkdtempSync(join(tmpdir(), "trustid-inst-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scripts/institution.mjs", () => {
  it("sets and clears an institution's Moodle site and institution-wide patterns", async () => {
    const url = `file:${join(dir, "db.sqlite")}`;
    await migrateDatabase(url);
    const client = createClient({ url });
    try {
      const set = await configureInstitution(client, "UPAT", {
        moodleUrl: "https://moodle.example.org/",
        moodleToken: "secret",
        forbid: ["AnyDesk*", "anydesk*", "obs*"],
      });
      expect(set).toEqual({
        code: "UPAT",
        name: "University of Patras",
        moodle_url: "https://moodle.example.org",
        moodle_token_set: true,
        forbidden_processes: ["anydesk*", "obs*"],
      });
      expect(JSON.stringify(set)).not.toContain("secret");
      const cleared = await configureInstitution(client, "UPAT", { clearMoodle: true, allow: ["OBS*"] });
      expect(cleared).toMatchObject({ moodle_url: null, moodle_token_set: false, forbidden_processes: ["anydesk*"] });
      await expect(configureInstitution(client, "NOPE", {})).rejects.toThrow(/No institution/);
      await expect(configureInstitution(client, "UPAT", { forbid: ["*"] })).rejects.toThrow(/Unusable/);
      await expect(configureInstitution(client, "UPAT", { moodleUrl: "ftp://x" , moodleToken: "t"})).rejects.toThrow(/http/);
    } finally {
      client.close();
    }
  });
});
