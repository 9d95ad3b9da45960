// `npm start`: the whole service on this machine, nothing from the internet, no account.
//  1. a real libSQL server on data/trustid.db (Hrana over HTTP, as Turso speaks it)
//  2. migrations applied (the institutions UC, UCY, UPAT are seeded by a migration)
//  3. a .dev.vars with freshly generated local secrets, kept across restarts
//  4. `wrangler dev` on 127.0.0.1 with telemetry and outside lookups off, state persisted under data/
// PORT, DB_PORT and DATA_DIR (default `data`) change the ports and the folder of the database and the
// local Worker state, so that a second instance (the browser tests) never shares a database file with a
// developer's own `npm start`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startLibsqlServer } from "./libsql-server.mjs";
import { migrateDatabase } from "./migrate.mjs";

const DB_PORT = Number(process.env.DB_PORT ?? 8080);
const PORT = Number(process.env.PORT ?? 8787);
const DATA_DIR = process.env.DATA_DIR || "data";
const DB_FILE = join(DATA_DIR, "trustid.db");

mkdirSync(DATA_DIR, { recursive: true });
const db = await startLibsqlServer({ file: DB_FILE, port: DB_PORT });
console.log(`libSQL server: ${db.url} (file ${DB_FILE})`);
await migrateDatabase(db.url);
console.log("migrations applied");

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
}
if (!readFileSync(".dev.vars", "utf8").includes("PARTNER_SECRET_KEY_ENCRYPTION_KEY=")) {
  // A .dev.vars from before the partner API: add its key (the other secrets stay as they are).
  appendFileSync(".dev.vars", `PARTNER_SECRET_KEY_ENCRYPTION_KEY=${randomBytes(32).toString("base64")}\n`);
}
if (!/^TEMPLATE_ENCRYPTION_KEY=/m.test(readFileSync(".dev.vars", "utf8"))) {
  // Older .dev.vars from before face biometrics: add the template key, keep the rest.
  appendFileSync(".dev.vars", `TEMPLATE_ENCRYPTION_KEY=${randomBytes(48).toString("base64url")}\n`);
  console.log("added TEMPLATE_ENCRYPTION_KEY to .dev.vars");
}

const quiet = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
const wrangler = spawn(
  "npx",
  // Two Workers in one process: the API (first config) and the face inference Worker it calls by RPC.
  ["wrangler", "dev", "-c", "wrangler.toml", "-c", "src/inference/wrangler.toml",
   "--ip", "127.0.0.1", "--port", String(PORT), "--persist-to", join(DATA_DIR, "wrangler"),
   "--var", `DATABASE_URL:${db.url}`, "--show-interactive-dev-session=false", "--test-scheduled"],
  { stdio: "inherit", env: quiet },
);
console.log(`TrustID Edge: http://127.0.0.1:${PORT}/backend/docs`);
// wrangler dev does not fire Cron Triggers: fire the scheduled handler every minute as production does
// (partner API callbacks and their retries).
const cron = setInterval(() => {
  fetch(`http://127.0.0.1:${PORT}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
}, 60_000);

const stop = async () => {
  clearInterval(cron);
  wrangler.kill("SIGTERM");
  await db.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", async (code) => {
  clearInterval(cron);
  await db.close();
  process.exit(code ?? 0);
});
