// `npm start`: the whole service on this machine, nothing from the internet, no account.
//  1. a real libSQL server on data/trustid.db (Hrana over HTTP, as Turso speaks it)
//  2. migrations applied (the institutions UC, UCY, UPAT are seeded by a migration)
//  3. a .dev.vars with freshly generated local secrets, kept across restarts
//  4. `wrangler dev` on 127.0.0.1 with telemetry and outside lookups off, state persisted under data/
// PORT, DB_PORT and DATA_DIR (default `data`) change the ports and the folder of the database and the
// local Worker state, so that a second instance (the browser tests) never shares a database file with a
// developer's own `npm start`. DB_LATENCY_MS (e.g. 80) puts a delaying proxy between the Worker and the
// database (scripts/db-latency-proxy.mjs, on DB_PROXY_PORT, default DB_PORT + 1): every database round trip
// then costs twice that, as a Turso primary does from a far edge location.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { startDbLatencyProxy } from "./db-latency-proxy.mjs";
import { startLibsqlServer } from "./libsql-server.mjs";
import { migrateDatabase } from "./migrate.mjs";

// A setting that is no number stops here naming it: PORT=abc was a RangeError stack trace from Node's listen (probe V).
const badSetting = (message) => {
  console.error(message);
  process.exit(1);
};
/** A port setting: a whole number 0-65535 (0: any free port), its default when unset or empty. */
const portSetting = (name, dflt) => {
  const text = process.env[name];
  if (text === undefined || text === "") return dflt;
  const port = /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(port <= 65535)) badSetting(`${name} must be a port number (0-65535), not ${JSON.stringify(text)}.`);
  return port;
};
const DB_PORT = portSetting("DB_PORT", 8080);
const PORT = portSetting("PORT", 8787);
const DATA_DIR = process.env.DATA_DIR || "data";
const DB_FILE = join(DATA_DIR, "trustid.db");
// The Worker reaches the database through the delaying proxy when DB_LATENCY_MS is set (migrations go direct).
const DB_LATENCY_MS = process.env.DB_LATENCY_MS === "" ? undefined : process.env.DB_LATENCY_MS;
if (DB_LATENCY_MS !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(DB_LATENCY_MS.trim())) {
  badSetting(`DB_LATENCY_MS must be a number of milliseconds (e.g. 80), not ${JSON.stringify(DB_LATENCY_MS)}.`);
}
// DB_PORT + 1 by default; with DB_PORT 0 (any free port) any free port too, not port 1.
const DB_PROXY_PORT = DB_LATENCY_MS === undefined ? null : portSetting("DB_PROXY_PORT", DB_PORT === 0 ? 0 : DB_PORT + 1);
if (DB_PROXY_PORT > 65535) badSetting(`The database latency proxy's port would be DB_PORT + 1, ${DB_PROXY_PORT}: set DB_PROXY_PORT to a free one.`);

// A busy port is the operator's to change: say which setting, not a Node stack trace (a probe's DB_PORT) nor
// wrangler's own hint, which names its --port option where `npm start` is given PORT.
const portProblem = (port) =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (e) => resolve(e?.code === "EADDRINUSE" ? "is in use" : `cannot be used (${e?.code ?? e})`));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(null)));
  });
// Port 0 is a different free port each time, never one of the others.
const servicePortProblem = PORT !== 0 && PORT === DB_PORT ? "is DB_PORT too" : await portProblem(PORT);
if (servicePortProblem) {
  console.error(`The service's port ${PORT} ${servicePortProblem}: set PORT to a free one.`);
  process.exit(1);
}
// The proxy's port too, before anything starts: a taken one was an EADDRINUSE stack trace naming neither
// DB_PROXY_PORT nor DB_LATENCY_MS (probe V), and the database had been started and migrated for nothing.
if (DB_PROXY_PORT !== null) {
  const proxyPortProblem =
    DB_PROXY_PORT !== 0 && DB_PROXY_PORT === PORT ? "is PORT too" : DB_PROXY_PORT !== 0 && DB_PROXY_PORT === DB_PORT ? "is DB_PORT too" : await portProblem(DB_PROXY_PORT);
  if (proxyPortProblem) {
    console.error(`The database latency proxy's port ${DB_PROXY_PORT} ${proxyPortProblem}: set DB_PROXY_PORT to a free one (the proxy runs because DB_LATENCY_MS is set).`);
    process.exit(1);
  }
}
const startDb = () =>
  startLibsqlServer({ file: DB_FILE, port: DB_PORT }).catch((e) => {
    if (e?.code !== "EADDRINUSE") throw e;
    throw new Error(`The database's port ${DB_PORT} is in use: set DB_PORT to a free one.`);
  });

mkdirSync(DATA_DIR, { recursive: true });
let db = await startDb().catch((e) => {
  console.error(e.message);
  return process.exit(1);
});
console.log(`libSQL server: ${db.url} (file ${DB_FILE})`);
await migrateDatabase(db.url);
console.log("migrations applied");
const proxy =
  DB_PROXY_PORT === null
    ? null
    : await startDbLatencyProxy({ upstream: db.url, port: DB_PROXY_PORT, latencyMs: Number(DB_LATENCY_MS) }).catch(async (e) => {
        // Taken since the check above: still the operator's to change, not a stack trace.
        if (e?.code !== "EADDRINUSE") throw e;
        console.error(`The database latency proxy's port ${DB_PROXY_PORT} is in use: set DB_PROXY_PORT to a free one (the proxy runs because DB_LATENCY_MS is set).`);
        await db.close();
        return process.exit(1);
      });
const workerDbUrl = proxy?.url ?? db.url;
if (proxy) console.log(`database latency proxy: ${proxy.url} (${DB_LATENCY_MS} ms each way; ${proxy.url}/__proxy counts round trips)`);

if (!existsSync(".dev.vars")) {
  // Local-only secrets; production secrets are set with `wrangler secret put`.
  writeFileSync(
    ".dev.vars",
    [
      "# Written by scripts/dev.mjs for local development only. Never used in production.",
      "ENVIRONMENT=development",
      `JWT_SECRET=${randomBytes(48).toString("base64url")}`,
      `PARTNER_SECRET_KEY_ENCRYPTION_KEY=${randomBytes(32).toString("base64")}`,
      `TEMPLATE_ENCRYPTION_KEY=${randomBytes(48).toString("base64url")}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  console.log("wrote .dev.vars with new local secrets");
} else {
  // A .dev.vars from an older version: add the secrets it lacks, keep the rest as they are.
  const present = readFileSync(".dev.vars", "utf8");
  const missing = {
    PARTNER_SECRET_KEY_ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
    TEMPLATE_ENCRYPTION_KEY: () => randomBytes(48).toString("base64url"),
  };
  for (const [name, make] of Object.entries(missing)) {
    if (new RegExp(`^${name}=`, "m").test(present)) continue;
    appendFileSync(".dev.vars", `${name}=${make()}\n`);
    console.log(`added ${name} to .dev.vars`);
  }
}

const quiet = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
// Load-shedding, timeout, per-student rate-limit, retention and access-log settings (README "Configuration") pass
// through from the environment (e.g. `MONITORING_RETENTION_DAYS=1 npm start` to watch retention work locally).
const LOAD_SETTINGS = [
  "MAX_INFLIGHT_REQUESTS",
  "MAX_INFLIGHT_INFERENCE",
  "MAX_INFLIGHT_PASSWORD_HASHES",
  "OVERLOAD_RETRY_AFTER_SECONDS",
  "DB_TIMEOUT_MS",
  "INFERENCE_TIMEOUT_MS",
  "RATE_LIMIT_ENROL_PER_MINUTE",
  "RATE_LIMIT_VERIFY_PER_MINUTE",
  "RATE_LIMIT_MONITORING_PER_MINUTE",
  "RATE_LIMIT_LARGE_PICTURES_PER_MINUTE",
  "DECISION_RETENTION_DAYS",
  "MONITORING_RETENTION_DAYS",
  "ACCESS_LOG",
];
const loadVars = LOAD_SETTINGS.filter((name) => process.env[name]).flatMap((name) => ["--var", `${name}:${process.env[name]}`]);
// Two Workers in one process: the API (first config) and the face inference Worker it calls by RPC.
// Started in its own process group so that stopping kills wrangler and workerd too, not only a wrapper.
const startWrangler = () =>
  spawn(
    process.execPath,
    [createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js"), "dev",
     "-c", "wrangler.toml", "-c", "src/inference/wrangler.toml",
     "--ip", "127.0.0.1", "--port", String(PORT), "--persist-to", join(DATA_DIR, "wrangler"),
     "--var", `DATABASE_URL:${workerDbUrl}`, "--show-interactive-dev-session=false", "--test-scheduled",
     // Wallet push notices stay off locally unless EXPO_PUSH_URL says where to send them (docs/wallet.md).
     "--var", `EXPO_PUSH_URL:${process.env.EXPO_PUSH_URL || "disabled"}`, ...loadVars],
    { stdio: "inherit", env: quiet, detached: true },
  );
let wrangler = startWrangler();
console.log(`TrustID Edge: http://127.0.0.1:${PORT}/backend/docs`);
// wrangler dev does not fire Cron Triggers: fire the scheduled handler every minute as production does
// (partner API callbacks and their retries).
const cron = setInterval(() => {
  fetch(`http://127.0.0.1:${PORT}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
}, 60_000);

// Fault drills (bench/faults.mjs; BENCHMARKS.md "Faults"): signals to this process, whose pid is in
// DATA_DIR/dev.pid. SIGUSR1 stops the libSQL server (the port refuses connections), SIGUSR2 starts it
// again on the same file and port, SIGHUP restarts wrangler dev (both Workers) with the database left up.
let dbRunning = true;
let restartingWrangler = false;
writeFileSync(join(DATA_DIR, "dev.pid"), `${process.pid}\n`);
process.on("SIGUSR1", async () => {
  if (!dbRunning) return;
  dbRunning = false;
  await db.close();
  console.log("libSQL server stopped (SIGUSR1)");
});
process.on("SIGUSR2", async () => {
  if (dbRunning) return;
  try {
    db = await startDb();
  } catch (e) {
    // Taken while it was stopped: the service keeps running without its database, as after SIGUSR1.
    console.error(`libSQL server not started again (SIGUSR2): ${e?.message ?? e}`);
    return;
  }
  dbRunning = true;
  console.log(`libSQL server started again (SIGUSR2): ${db.url}`);
});
process.on("SIGHUP", () => {
  if (restartingWrangler) return;
  restartingWrangler = true;
  console.log("restarting wrangler dev (SIGHUP)");
  try {
    process.kill(-wrangler.pid, "SIGTERM");
  } catch {
    // already gone
  }
});

const closeDb = async () => {
  if (proxy) await proxy.close();
  if (dbRunning) await db.close();
  dbRunning = false;
};
const stop = async () => {
  clearInterval(cron);
  try {
    process.kill(-wrangler.pid, "SIGTERM");
  } catch {
    // already gone
  }
  await closeDb();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
const onWranglerExit = async (code) => {
  if (restartingWrangler) {
    restartingWrangler = false;
    wrangler = startWrangler();
    wrangler.on("exit", onWranglerExit);
    return;
  }
  clearInterval(cron);
  await closeDb();
  process.exit(code ?? 0);
};
wrangler.on("exit", onWranglerExit);
