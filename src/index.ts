// The Worker's exports: HTTP requests go to the Hono app; the Cron Trigger (wrangler.toml) runs the
// periodic jobs (partner API: status-change callbacks and their retries, nonce pruning; wallet push
// notices: retries and receipts); the Durable Object class holds each student's templates.
import { openDb } from "./db/client";
import { type Bindings, loadConfig } from "./env";
import { createApp } from "./app";
import { describeError } from "./lib/handle-error";
import { drainUnreadBody } from "./lib/read-limited";
import { runPartnerJobs } from "./services/partner/jobs";
import { runWalletJobs } from "./services/wallet/push";
import { runErasureJobs } from "./services/erasure";

const app = createApp();

// A run that fails (the database down) loses nothing: the work stays due and the next run (a minute later)
// does it. Its error is logged redacted (an uncaught rejection would be logged by the runtime with the full
// message, which for a failed query includes the bound values).
const logJobFailure = (job: string) => (e: unknown) =>
  console.warn(JSON.stringify({ level: "warn", msg: `${job} failed; retried on the next run`, ...describeError(e) }));

export default {
  async fetch(request, env, ctx) {
    const response = await app.fetch(request, env, ctx);
    // A body the answer did not need (refused as too large, unauthenticated...) is read to its end first.
    await drainUnreadBody(request);
    return response;
  },
  async scheduled(controller, env, ctx) {
    const config = loadConfig(env);
    const db = openDb(config.databaseUrl, config.databaseAuthToken, config.load.dbTimeoutMs);
    ctx.waitUntil(
      runPartnerJobs(db, config, controller.scheduledTime).then((r) => {
        if (r.queued || r.delivered || r.retrying || r.failed) console.log(JSON.stringify({ level: "info", msg: "partner jobs", ...r }));
      }, logJobFailure("partner jobs")),
    );
    // Wallet push notices: due sends (retries) and receipts; expired exports removed (docs/wallet.md).
    ctx.waitUntil(
      runWalletJobs(db, config, controller.scheduledTime).then((r) => {
        if (r.sent || r.delivered || r.retrying || r.failed || r.pruned) console.log(JSON.stringify({ level: "info", msg: "wallet push jobs", ...r }));
      }, logJobFailure("wallet push jobs")),
    );
    // Erasure of students' accounts asked for by an operator (scripts/erase-student.mjs, SECURITY.md), and the
    // pruning of decision records and monitoring records past their retention (docs/decisions.md, README).
    ctx.waitUntil(
      runErasureJobs(env, db, config, controller.scheduledTime).then((r) => {
        if (r.recordsErased || r.templatesErased || r.decisionsPruned || r.monitoringEventsPruned || r.loginAttemptsPruned || r.loginRecordsPruned) console.log(JSON.stringify({ level: "info", msg: "erasure jobs", ...r }));
      }, logJobFailure("erasure jobs")),
    );
  },
} satisfies ExportedHandler<Bindings>;

export { StudentTemplates } from "./templates/student-templates";
