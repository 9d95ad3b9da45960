import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM scripts without type declarations
import { configureInstitution } from "../../scripts/institution.mjs";
// @ts-expect-error: plain ESM scripts without type declarations
import { migrateDatabase } from "../../scripts/migrate.mjs";
import { openSecret } from "../../src/services/partner/crypto";

const KEY = Buffer.alloc(32, 7).toString("base64");

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
        sealKey: KEY,
      });
      expect(set).toEqual({
        code: "UPAT",
        name: "University of Patras",
        moodle_url: "https://moodle.example.org",
        moodle_token_set: true,
        security_level: "high",
        time_zone: "Europe/Athens", // migration 0009
        forbidden_processes: ["anydesk*", "obs*"],
        default_list: "on",
        exempt_from_default_list: [],
      });
      expect(JSON.stringify(set)).not.toContain("secret");
      // Stored sealed, bound to the institution and to its purpose.
      const stored = async () => String((await client.execute("SELECT id, moodle_token FROM institutions WHERE code = 'UPAT'")).rows[0]!.moodle_token);
      const id = Number((await client.execute("SELECT id FROM institutions WHERE code = 'UPAT'")).rows[0]!.id);
      const sealed = await stored();
      expect(sealed).toMatch(/^v1\./);
      expect(sealed).not.toContain("secret");
      expect(await openSecret(KEY, id, sealed, "moodle-token")).toBe("secret");
      expect(await openSecret(KEY, id, sealed)).toBeNull();
      expect(await openSecret(KEY, id + 1, sealed, "moodle-token")).toBeNull();
      // A new URL alone keeps the sealed token; a new token needs the key.
      await configureInstitution(client, "UPAT", { moodleUrl: "https://moodle2.example.org" });
      expect(await stored()).toBe(sealed);
      // The token travels with every call: plain http only to this machine (a probe's Worker sent it in clear).
      await expect(configureInstitution(client, "UPAT", { moodleUrl: "http://moodle.example.org" })).rejects.toThrow(/must use https/);
      await configureInstitution(client, "UPAT", { moodleUrl: "http://127.0.0.1:8099" });
      await configureInstitution(client, "UPAT", { moodleUrl: "https://moodle2.example.org" });
      await expect(configureInstitution(client, "UPAT", { moodleToken: "other" })).rejects.toThrow(/PARTNER_SECRET_KEY_ENCRYPTION_KEY/);
      // Allowing a pattern removes it and exempts it from the default list (OBS is on that list).
      const cleared = await configureInstitution(client, "UPAT", { clearMoodle: true, allow: ["OBS*"] });
      expect(cleared).toMatchObject({ moodle_url: null, moodle_token_set: false, forbidden_processes: ["anydesk*"], exempt_from_default_list: ["obs*"] });
      // Forbidding it again drops the exemption; the default list can be turned off and back on.
      expect(await configureInstitution(client, "UPAT", { forbid: ["obs*"] })).toMatchObject({ forbidden_processes: ["anydesk*", "obs*"], exempt_from_default_list: [] });
      expect(await configureInstitution(client, "UPAT", { noDefaultList: true, allow: ["teamviewer*"] })).toMatchObject({
        default_list: "off",
        exempt_from_default_list: ["teamviewer*"],
      });
      const rows = (await client.execute(`SELECT pattern FROM process_policies WHERE institution_id = ${id} ORDER BY pattern`)).rows.map((r) => r.pattern);
      expect(rows).toEqual(["!*", "!teamviewer*", "anydesk*", "obs*"]); // the API's syntax (src/services/process-policy.ts)
      expect(await configureInstitution(client, "UPAT", { defaultList: true })).toMatchObject({ default_list: "on", exempt_from_default_list: [] });
      // The security level: high by default, standard on request, nothing else.
      expect(await configureInstitution(client, "UPAT", { securityLevel: "standard" })).toMatchObject({ security_level: "standard" });
      await expect(configureInstitution(client, "UPAT", { securityLevel: "low" })).rejects.toThrow(/high or standard/);
      expect(await configureInstitution(client, "UPAT", {})).toMatchObject({ security_level: "standard" });
      // The time zone of date-times sent without an offset (issue 18 part 4): an IANA name, nothing else.
      expect(await configureInstitution(client, "UPAT", { timeZone: "Europe/Berlin" })).toMatchObject({ time_zone: "Europe/Berlin" });
      await expect(configureInstitution(client, "UPAT", { timeZone: "Mars/Olympus" })).rejects.toThrow(/IANA time zone/);
      await expect(configureInstitution(client, "UPAT", { forbid: ["!"] })).rejects.toThrow(/Unusable/);
      await expect(configureInstitution(client, "NOPE", {})).rejects.toThrow(/No institution/);
      await expect(configureInstitution(client, "UPAT", { forbid: ["*"] })).rejects.toThrow(/Unusable/);
      await expect(configureInstitution(client, "UPAT", { moodleUrl: "ftp://x", moodleToken: "t", sealKey: KEY })).rejects.toThrow(/http/);
      // Every option is checked before anything is written (probe Q): a refused one leaves the others unapplied.
      const before = await configureInstitution(client, "UPAT", {});
      await expect(configureInstitution(client, "UPAT", { securityLevel: "high", timeZone: "Mars/Olympus" })).rejects.toThrow(/IANA time zone/);
      await expect(configureInstitution(client, "UPAT", { forbid: ["zoom*", "*"] })).rejects.toThrow(/Unusable/);
      await expect(configureInstitution(client, "UPAT", { securityLevel: "high", moodleUrl: "https://m.example.org", moodleToken: "t" })).rejects.toThrow(
        /PARTNER_SECRET_KEY_ENCRYPTION_KEY/,
      );
      await configureInstitution(client, "UPAT", { allow: ["obs*"] });
      await expect(configureInstitution(client, "UPAT", { noDefaultList: true, defaultList: true })).rejects.toThrow(/exclude each other/);
      // Probe V: these applied one of the two and dropped the other, silently.
      await expect(configureInstitution(client, "UPAT", { clearMoodle: true, moodleUrl: "https://m.example.org", securityLevel: "standard" })).rejects.toThrow(
        /--clear-moodle and --moodle-url exclude each other/,
      );
      await expect(configureInstitution(client, "UPAT", { forbid: ["teams*", "zoom*"], allow: ["ZOOM*"] })).rejects.toThrow(/both --forbid and --allow/);
      await expect(configureInstitution(client, "UPAT", { allow: ["anydesk*"], forbid: ["anydesk*"] })).rejects.toThrow(/both --forbid and --allow/);
      expect(await configureInstitution(client, "UPAT", {})).toEqual({ ...before, forbidden_processes: ["anydesk*"], exempt_from_default_list: ["obs*"] });
    } finally {
      client.close();
    }
  });
});
