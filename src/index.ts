// The Worker's exports: HTTP requests go to the Hono app; the Cron Trigger (wrangler.toml) runs the
// periodic jobs (partner API: status-change callbacks and their retries, nonce pruning; wallet push
// notices: retries and receipts); the Durable Object class holds each student's templates.
import { openDb } from "./db/client";
import { type Bindings, loadConfig } from "./env";
import { createApp } from "./app";
import { runPartnerJobs } from "./services/partner/jobs";
import { runWalletJobs } from "./services/wallet";

const app = createApp();

// A run that fails (the database down) loses nothing: the work stays due and the next run (a minute later) does it.
const jobFailed = (job: string) => (e: unknown) =>
  console.warn(JSON.stringify({ level: "warn", msg: `${job} failed; retried on the next run`, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const config = loadConfig(env);
    const db = openDb(config.databaseUrl, config.databaseAuthToken, config.load.dbTimeoutMs);
    ctx.waitUntil(
      runPartnerJobs(db, config, controller.scheduledTime).then((r) => {
        if (r.queued || r.delivered || r.retrying || r.failed) console.log(JSON.stringify({ level: "info", msg: "partner jobs", ...r }));
      }, jobFailed("partner jobs")),
    );
    // Wallet push notices: due sends (retries) and receipts; expired exports removed (docs/wallet.md).
    ctx.waitUntil(
      runWalletJobs(db, config, controller.scheduledTime).then((r) => {
        if (r.sent || r.delivered || r.retrying || r.failed || r.pruned) console.log(JSON.stringify({ level: "info", msg: "wallet push jobs", ...r }));
      }, jobFailed("wallet push jobs")),
    );
  },
} satisfies ExportedHandler<Bindings>;

export { StudentTemplates } from "./durable-objects/student-templates";
