// scripts/partner-credentials.mjs against a real (file) libSQL database with the real migrations:
// the credentials it prints authenticate with the Worker's own code.
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import { identifyToken } from "../../src/services/partner/credentials";
// @ts-expect-error: plain ESM scripts without type declarations
import { isLocalDatabase, run, sealKeyFrom, sealSecret, UsageError } from "../../scripts/partner-credentials.mjs";
// @ts-expect-error: plain ESM scripts without type declarations
import { migrateDatabase } from "../../scripts/migrate.mjs";

const KEY = Buffer.alloc(32, 3).toString("base64");
let dir: string;
let env: Record<string, string>;
let db: Db;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "partner-script-"));
  const url = `file:${join(dir, "t.db")}`;
  await migrateDatabase(url);
  env = { DATABASE_URL: url, PARTNER_SECRET_KEY_ENCRYPTION_KEY: KEY };
  db = drizzle(createClient({ url }), { schema }) as unknown as Db;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const printed = (lines: string[], label: string) => lines.map((l) => new RegExp(`${label}:\\s+([0-9a-f]{64})`).exec(l)?.[1]).find(Boolean)!;

describe("partner-credentials script", () => {
  it("creates, rotates and revokes credentials that the Worker accepts", async () => {
    const first = await run(["create", "--institution", "UCY"], env);
    const token1 = printed(first, "api token");
    const secret1 = printed(first, "secret key");
    const ucy = await identifyToken(db, KEY, token1);
    expect(ucy?.secrets).toEqual([secret1]);
    await expect(run(["create", "--institution", "UCY"], env)).rejects.toThrow(/use rotate/);

    const second = await run(["rotate", "--institution", "UCY"], env);
    const token2 = printed(second, "api token");
    const secret2 = printed(second, "secret key");
    expect((await identifyToken(db, KEY, token1))?.secrets.sort()).toEqual([secret1, secret2].sort());
    expect((await identifyToken(db, KEY, token2))?.institutionId).toBe(ucy!.institutionId);

    expect((await run(["revoke-old", "--institution", "UCY"], env))[0]).toMatch(/^Revoked/);
    expect(await identifyToken(db, KEY, token1)).toBeNull();
    expect((await identifyToken(db, KEY, token2))?.secrets).toEqual([secret2]);

    const list = await run(["list", "--institution", "UCY"], env);
    expect(list.filter((l: string) => l.includes("ACTIVE"))).toHaveLength(1);
    expect(list.join("\n")).not.toContain(secret2);
  });

  it("sets and clears the callback URL (https only unless allowed)", async () => {
    await expect(run(["set-callback", "--institution", "UC", "--url", "http://x.example"], env)).rejects.toThrow(/https/);
    // Only `true` allows http: `--allow-http false` must not (found by a black-box operator probe).
    await expect(run(["set-callback", "--institution", "UC", "--url", "http://x.example", "--allow-http", "false"], env)).rejects.toThrow(/https/);
    expect(await run(["set-callback", "--institution", "UC", "--url", "http://127.0.0.1:9/cb", "--allow-http", "true"], env)).toEqual(["callback_url set to http://127.0.0.1:9/cb"]);
    expect(await run(["set-callback", "--institution", "UC", "--url", "https://lms.example.edu/hook"], env)).toEqual([
      "callback_url set to https://lms.example.edu/hook",
    ]);
    expect((await run(["list", "--institution", "UC"], env))[0]).toBe("callback_url: https://lms.example.edu/hook");
    await run(["set-callback", "--institution", "UC", "--clear"], env);
    expect((await run(["list", "--institution", "UC"], env))[0]).toBe("callback_url: -");
  });

  it("refuses contradictory or misplaced options, and a --url that is no URL, with nothing applied (probe V)", async () => {
    await run(["set-callback", "--institution", "UC", "--url", "https://lms.example.edu/kept"], env);
    for (const [args, message] of [
      [["set-callback", "--institution", "UC", "--url", "https://lms.example.edu/other", "--clear"], /--clear and --url exclude each other/],
      [["set-callback", "--institution", "UC", "--url", "lms.example.edu/cb"], /--url "lms.example.edu\/cb" is not a valid URL/],
      [["create", "--institution", "UC", "--url", "https://lms.example.edu/other"], /--url is not an option of create/],
    ] as const) {
      const refused = run([...args], env);
      await expect(refused, args.join(" ")).rejects.toThrow(UsageError);
      await expect(refused, args.join(" ")).rejects.toThrow(message);
    }
    const list = await run(["list", "--institution", "UC"], env);
    expect(list).toEqual(["callback_url: https://lms.example.edu/kept"]); // no credentials created, the URL kept
  });

  it("refuses a sealing key the Worker would refuse (unpadded, base64url, stray characters)", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    await expect(sealSecret(key, 1, "s")).resolves.toMatch(/^v1\./);
    for (const bad of [key.replace(/=+$/, ""), Buffer.alloc(32, 250).toString("base64url"), `${key.slice(0, 4)}*${key.slice(4)}`]) {
      await expect(sealSecret(bad, 1, "s")).rejects.toThrow(/PARTNER_SECRET_KEY_ENCRYPTION_KEY/);
    }
  });

  it("refuses unknown institutions and commands", async () => {
    await expect(run(["create", "--institution", "NOPE"], env)).rejects.toThrow(/No institution/);
    await expect(run(["frobnicate", "--institution", "UC"], env)).rejects.toThrow(/Unknown command/);
  });
});

describe("the seal key for another database", () => {
  it("is never taken from .dev.vars: only the environment's key seals for a remote DATABASE_URL (a probe's production credentials all got 403)", () => {
    for (const url of ["http://127.0.0.1:8080", "http://localhost:8080/", "file:data/x.db", "libsql://[::1]:8080"]) expect(isLocalDatabase(url), url).toBe(true);
    for (const url of ["libsql://trustid-uni.turso.io", "https://db.example.org", "http://127.0.0.1.example.org", ""]) expect(isLocalDatabase(url), url).toBe(false);
    expect(() => sealKeyFrom({ DATABASE_URL: "libsql://trustid-uni.turso.io" })).toThrow(UsageError);
    expect(sealKeyFrom({ DATABASE_URL: "libsql://trustid-uni.turso.io", PARTNER_SECRET_KEY_ENCRYPTION_KEY: KEY })).toBe(KEY);
  });
});
