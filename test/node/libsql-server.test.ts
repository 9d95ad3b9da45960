// The local libSQL server must behave like Turso for what the app does: statements, batches with
// conditions, interactive transactions that serialize, and errors as Hrana errors.
import { createClient } from "@libsql/client/web";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script
import { startLibsqlServer } from "../../scripts/libsql-server.mjs";

let server: { url: string; port: number; close(): Promise<void> };
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-"));
  server = await startLibsqlServer({ file: join(dir, "t.db") });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("local libSQL server (Hrana v2 over HTTP)", () => {
  it("executes statements with arguments and returns typed rows", async () => {
    const db = createClient({ url: server.url });
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)");
    const ins = await db.execute({ sql: "INSERT INTO t (name, score, data) VALUES (?, ?, ?) RETURNING id", args: ["a", 1.5, new Uint8Array([1, 2])] });
    expect(ins.rows[0]!.id).toBe(1);
    expect(ins.rowsAffected).toBe(1);
    const sel = await db.execute({ sql: "SELECT * FROM t WHERE name = :name", args: { name: "a" } });
    expect(sel.rows[0]).toMatchObject({ id: 1, name: "a", score: 1.5 });
    expect(new Uint8Array(sel.rows[0]!.data as ArrayBuffer)).toEqual(new Uint8Array([1, 2]));
    db.close();
  });

  it("runs batches atomically and reports SQL errors", async () => {
    const db = createClient({ url: server.url });
    await db.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
    await expect(db.batch([{ sql: "INSERT INTO u (v) VALUES ('x')", args: [] }, { sql: "INSERT INTO u (v) VALUES ('x')", args: [] }], "write")).rejects.toThrow(/UNIQUE/);
    expect((await db.execute("SELECT count(*) AS n FROM u")).rows[0]!.n).toBe(0);
    await expect(db.execute("SELECT * FROM missing_table")).rejects.toThrow(/no such table/);
    db.close();
  });

  it("serializes interactive transactions: others wait, nothing interleaves", async () => {
    const db = createClient({ url: server.url });
    await db.execute("CREATE TABLE c (n INTEGER)");
    await db.execute("INSERT INTO c VALUES (0)");
    const tx = await db.transaction("write");
    await tx.execute("UPDATE c SET n = n + 1");
    const outside = db.execute("UPDATE c SET n = n * 10"); // must wait for the transaction
    await new Promise((r) => setTimeout(r, 50));
    await tx.execute("UPDATE c SET n = n + 1");
    await tx.commit();
    await outside;
    expect((await db.execute("SELECT n FROM c")).rows[0]!.n).toBe(20);
    const rolled = await db.transaction("write");
    await rolled.execute("UPDATE c SET n = 0");
    await rolled.rollback();
    expect((await db.execute("SELECT n FROM c")).rows[0]!.n).toBe(20);
    db.close();
  });
});

// Probe Q: a taken port was a Node stack trace (EADDRINUSE) naming no setting.
describe("a port that is taken", () => {
  const node = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });

  it("is an EADDRINUSE rejection from startLibsqlServer, and the CLI names --port", async () => {
    await expect(startLibsqlServer({ file: join(dir, "other.db"), port: server.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    const run = node(["scripts/libsql-server.mjs", "--file", join(dir, "cli.db"), "--port", String(server.port)]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`Port ${server.port} is in use: give --port a free one.`);
  });

  it("stops `npm start` (scripts/dev.mjs) with the setting to change: DB_PORT, or PORT before anything starts", () => {
    const dataDir = join(dir, "dev");
    const busyDb = node(["scripts/dev.mjs"], { PORT: "0", DB_PORT: String(server.port), DATA_DIR: dataDir });
    expect(busyDb.status).toBe(1);
    expect(busyDb.stderr.trim()).toBe(`The database's port ${server.port} is in use: set DB_PORT to a free one.`);
    const busyService = node(["scripts/dev.mjs"], { PORT: String(server.port), DB_PORT: "0", DATA_DIR: dataDir });
    expect(busyService.status).toBe(1);
    expect(busyService.stderr.trim()).toBe(`The service's port ${server.port} is in use: set PORT to a free one.`);
  });

  // Probe V: the latency proxy's taken port was an EADDRINUSE stack trace, and PORT=abc a RangeError one.
  it("stops `npm start` with DB_PROXY_PORT for the latency proxy's taken port (given or DB_PORT + 1), before the database starts", () => {
    const dataDir = join(dir, "dev-proxy");
    for (const env of [
      { DB_PROXY_PORT: String(server.port), DB_PORT: "0" } as Record<string, string>,
      { DB_PORT: String(server.port - 1) }, // the default, DB_PORT + 1
    ]) {
      const run = node(["scripts/dev.mjs"], { PORT: "0", DB_LATENCY_MS: "5", DATA_DIR: dataDir, ...env });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(
        `The database latency proxy's port ${server.port} is in use: set DB_PROXY_PORT to a free one (the proxy runs because DB_LATENCY_MS is set).`,
      );
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  // Five Node processes one after another: seconds on a loaded 2-core machine (5 s, vitest's default, timed out once).
  it("names a port or delay setting that is no number, for `npm start` and the libSQL server's --port", { timeout: 60_000 }, () => {
    for (const [env, message] of [
      [{ PORT: "abc" }, 'PORT must be a port number (0-65535), not "abc".'],
      [{ PORT: "0", DB_PORT: "70000" }, 'DB_PORT must be a port number (0-65535), not "70000".'],
      [{ PORT: "0", DB_PORT: "0", DB_LATENCY_MS: "80ms" }, 'DB_LATENCY_MS must be a number of milliseconds (e.g. 80), not "80ms".'],
      [{ PORT: "0", DB_PORT: "0", DB_LATENCY_MS: "5", DB_PROXY_PORT: "-1" }, 'DB_PROXY_PORT must be a port number (0-65535), not "-1".'],
    ] as const) {
      const run = node(["scripts/dev.mjs"], { DATA_DIR: join(dir, "dev-bad"), ...env });
      expect(run.status, message).toBe(1);
      expect(run.stderr.trim()).toBe(message);
    }
    const cli = node(["scripts/libsql-server.mjs", "--file", join(dir, "cli-bad.db"), "--port", "abc"]);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim()).toBe('--port must be a port number (0-65535), not "abc".');
  });
});
