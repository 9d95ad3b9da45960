// Starts the whole service the README way (`npm start`, on free ports given by PORT and DB_PORT) for the
// browser tests, and stops it again: the npm process is started in its own process group so that the
// group (npm, scripts/dev.mjs, wrangler, workerd, the libSQL server) is stopped by its id and nothing else.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type RunningService = { baseUrl: string; logFile: string; stop: () => Promise<void> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `npm start` with its own ports and a fresh data folder under `outDir` (a new database, migrated at start),
 * so that it never shares a database file with a developer's own `npm start` in the same folder.
 */
export async function startService(outDir: string, timeoutMs = 240_000): Promise<RunningService> {
  mkdirSync(outDir, { recursive: true });
  const dataDir = join(outDir, "data");
  rmSync(dataDir, { recursive: true, force: true });
  const [port, dbPort] = [await freePort(), await freePort()];
  const logFile = join(outDir, "service.log");
  const log = openSync(logFile, "w");
  const child: ChildProcess = spawn("npm", ["start"], {
    detached: true, // its own process group, stopped as a whole below
    stdio: ["ignore", log, log],
    env: { ...process.env, PORT: String(port), DB_PORT: String(dbPort), DATA_DIR: dataDir },
  });
  let dead = false;
  child.once("exit", () => (dead = true));

  /** True while any process of the service's group is alive. */
  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  // The whole group, not just npm: wrangler outlives its parent when only the parent is stopped, and an
  // orphaned wrangler would keep a port and reload on file changes.
  const stop = async () => {
    if (child.pid === undefined || !groupAlive()) return;
    process.kill(-child.pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (groupAlive() && Date.now() < deadline) await sleep(200);
    if (groupAlive()) process.kill(-child.pid, "SIGKILL");
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  // Ready when the Worker answers (the inference Worker loads its models on first use; tests allow for that).
  while (Date.now() < deadline) {
    if (dead) throw new Error(`npm start exited before the service was ready; see ${logFile}`);
    try {
      const res = await fetch(`${baseUrl}/backend/trustid_version`, { signal: AbortSignal.timeout(30_000) });
      if (res.ok) return { baseUrl, logFile, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(500);
  }
  await stop();
  throw new Error(`The service did not become ready within ${timeoutMs / 1000} s; see ${logFile}`);
}
