// The push notices of wallet exports (docs/wallet.md): through Expo's push service (./expo-push.ts): send
// now, read the receipt later, retry rate limits and outages with backoff, forget tokens Expo reports as
// DeviceNotRegistered. The notice carries only the export id; the wallet fetches the sealed export itself.
import { and, asc, eq, inArray, isNotNull, lte } from "drizzle-orm";
import type { Db } from "../../db/client";
import { walletExports } from "../../db/schema";
import type { Config } from "../../env";
import type { ExportRow } from "./exports";
import { getPushReceipts, type PushClientOptions, type PushMessage, RETRYABLE_ERRORS, sendPushNotifications } from "./expo-push";

/** Sends of one notice before it is given up. */
export const MAX_PUSH_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 30 * 60_000;
/** Expo keeps receipts for a day; after that the outcome stays unknown. */
const RECEIPT_RETENTION_MS = 24 * 3600_000;
/** A row being processed is leased for this long, so that two runs do not send one notice twice. */
const LEASE_MS = 60_000;

export const pushOptions = (config: Config): PushClientOptions => ({ baseUrl: config.wallet.expoPushUrl, accessToken: config.wallet.expoAccessToken, timeoutMs: 5000 });

export const backoffMs = (attempts: number, retryAfterMs?: number) =>
  Math.max(retryAfterMs ?? 0, Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1)));

const noticeFor = (r: ExportRow, now: number): PushMessage => ({
  to: r.pushToken!,
  title: "TrustID",
  body: `Your ${r.biometricType} template is ready to be saved in your wallet.`,
  // Only a notice and an id: the wallet fetches the sealed export with GET /biometrics/push_notification.
  data: { type: "trustid.wallet.export", export_id: r.id, biometric_type: r.biometricType },
  priority: "high",
  sound: "default",
  ttl: Math.max(0, Math.min(28 * 86_400, Math.floor((r.expiresAt - now) / 1000))),
});

/** Forgets a token Expo reported as DeviceNotRegistered: no export keeps it, no notice goes to it again. */
async function forgetToken(db: Db, token: string, now: number) {
  await db
    .update(walletExports)
    .set({ pushStatus: "failed", pushError: "DeviceNotRegistered", nextAttemptAt: null, pushUpdatedAt: now })
    .where(and(eq(walletExports.pushToken, token), eq(walletExports.pushStatus, "queued")));
  await db.update(walletExports).set({ pushToken: null }).where(eq(walletExports.pushToken, token));
}

async function update(db: Db, id: string, set: Partial<ExportRow>) {
  await db.update(walletExports).set(set).where(eq(walletExports.id, id));
}

/** The rows whose push work is due (a statement, to run alone or in a caller's batch). */
export function dueExportsQuery(db: Db, filter: { ids?: string[]; userId?: number }, now: number, limit: number) {
  const conds = [inArray(walletExports.pushStatus, ["queued", "sent"]), isNotNull(walletExports.nextAttemptAt), lte(walletExports.nextAttemptAt, now)];
  if (filter.ids) conds.push(inArray(walletExports.id, filter.ids));
  if (filter.userId !== undefined) conds.push(eq(walletExports.userId, filter.userId));
  return db.select().from(walletExports).where(and(...conds)).orderBy(asc(walletExports.nextAttemptAt)).limit(limit);
}

/** Claims due rows (a lease on next_attempt_at) so that a concurrent run skips them. */
async function claim(db: Db, due: ExportRow[], now: number): Promise<ExportRow[]> {
  const claimed: ExportRow[] = [];
  for (const r of due) {
    const res = await db
      .update(walletExports)
      .set({ nextAttemptAt: now + LEASE_MS })
      .where(and(eq(walletExports.id, r.id), eq(walletExports.nextAttemptAt, r.nextAttemptAt!), eq(walletExports.pushStatus, r.pushStatus)))
      .run();
    if (res.rowsAffected === 1) claimed.push(r);
  }
  return claimed;
}

export type PushRunResult = { sent: number; delivered: number; retrying: number; failed: number };

/**
 * Does the push work that is due: sends queued notices (one request for up to 100) and reads the
 * receipts of sent ones. `filter` narrows it to some exports or one student (the status endpoints
 * refresh the caller's own); the scheduled handler runs it for everyone.
 */
export async function processPush(db: Db, config: Config, filter: { ids?: string[]; userId?: number }, now: number, limit = 100): Promise<PushRunResult> {
  return processDuePush(db, config, await dueExportsQuery(db, filter, now, limit), now);
}

/** processPush for due rows already read (dueExportsQuery, e.g. in the batch of a status read). */
export async function processDuePush(db: Db, config: Config, due: ExportRow[], now: number): Promise<PushRunResult> {
  const out: PushRunResult = { sent: 0, delivered: 0, retrying: 0, failed: 0 };
  if (due.length === 0) return out;
  const rows = await claim(db, due, now);
  const opts = pushOptions(config);
  const receiptDelayMs = config.wallet.receiptDelaySeconds * 1000;

  // Sends.
  const toSend: ExportRow[] = [];
  for (const r of rows.filter((x) => x.pushStatus === "queued")) {
    if (r.expiresAt <= now) {
      await update(db, r.id, { pushStatus: "failed", pushError: "expired before the notice was delivered", nextAttemptAt: null, pushUpdatedAt: now });
      out.failed++;
    } else if (config.wallet.expoPushUrl === "disabled") {
      await update(db, r.id, { pushStatus: "failed", pushError: "push notices are disabled on this server (EXPO_PUSH_URL=disabled)", nextAttemptAt: null, pushUpdatedAt: now });
      out.failed++;
    } else if (!r.pushToken) {
      await update(db, r.id, { pushStatus: "failed", pushError: r.pushError ?? "DeviceNotRegistered", nextAttemptAt: null, pushUpdatedAt: now });
      out.failed++;
    } else toSend.push(r);
  }
  if (toSend.length > 0) {
    const result = await sendPushNotifications(opts, toSend.map((r) => noticeFor(r, now)));
    for (const [i, r] of toSend.entries()) {
      const attempts = r.pushAttempts + 1;
      const retry = async (error: string, retryAfterMs?: number) => {
        if (attempts >= MAX_PUSH_ATTEMPTS) {
          await update(db, r.id, { pushStatus: "failed", pushError: `${error} (gave up after ${attempts} attempts)`, pushAttempts: attempts, nextAttemptAt: null, pushUpdatedAt: now });
          out.failed++;
        } else {
          await update(db, r.id, { pushStatus: "queued", pushError: error, pushAttempts: attempts, nextAttemptAt: now + backoffMs(attempts, retryAfterMs), pushUpdatedAt: now });
          out.retrying++;
        }
      };
      if (result.kind === "retry") await retry(result.error, result.retryAfterMs);
      else if (result.kind === "failed") {
        await update(db, r.id, { pushStatus: "failed", pushError: result.error, pushAttempts: attempts, nextAttemptAt: null, pushUpdatedAt: now });
        out.failed++;
      } else {
        const t = result.tickets[i]!;
        if (t.status === "ok") {
          await update(db, r.id, { pushStatus: "sent", pushTicketId: t.id, pushError: null, pushAttempts: attempts, nextAttemptAt: now + receiptDelayMs, pushUpdatedAt: now });
          out.sent++;
        } else if (t.error === "DeviceNotRegistered") {
          await update(db, r.id, { pushAttempts: attempts });
          await forgetToken(db, r.pushToken!, now);
          out.failed++;
        } else if (RETRYABLE_ERRORS.has(t.error)) await retry(t.error);
        else {
          await update(db, r.id, { pushStatus: "failed", pushError: `${t.error}: ${t.message}`, pushAttempts: attempts, nextAttemptAt: null, pushUpdatedAt: now });
          out.failed++;
        }
      }
    }
  }

  // Receipts.
  const toCheck = config.wallet.expoPushUrl === "disabled" ? [] : rows.filter((x) => x.pushStatus === "sent" && x.pushTicketId);
  if (toCheck.length > 0) {
    const result = await getPushReceipts(opts, toCheck.map((r) => r.pushTicketId!));
    for (const r of toCheck) {
      const sentAt = r.pushUpdatedAt ?? r.createdAt;
      const later = async (error?: string) => {
        if (now - sentAt > RECEIPT_RETENTION_MS) await update(db, r.id, { nextAttemptAt: null, pushError: "no receipt (outcome unknown)" });
        else await update(db, r.id, { nextAttemptAt: now + Math.max(receiptDelayMs, backoffMs(1, undefined) / 2), ...(error ? { pushError: error } : {}) });
      };
      if (result.kind !== "receipts") {
        await later();
        continue;
      }
      const receipt = result.receipts[r.pushTicketId!];
      if (!receipt) await later();
      else if (receipt.status === "ok") {
        await update(db, r.id, { pushStatus: "delivered", pushError: null, nextAttemptAt: null, pushUpdatedAt: now });
        out.delivered++;
      } else if (receipt.error === "DeviceNotRegistered") {
        await update(db, r.id, { pushStatus: "failed", pushError: "DeviceNotRegistered", nextAttemptAt: null, pushUpdatedAt: now });
        if (r.pushToken) await forgetToken(db, r.pushToken, now);
        out.failed++;
      } else if (RETRYABLE_ERRORS.has(receipt.error) && r.pushAttempts < MAX_PUSH_ATTEMPTS) {
        // The notice was dropped (e.g. MessageRateExceeded): send it again after a pause.
        await update(db, r.id, { pushStatus: "queued", pushError: receipt.error, pushTicketId: null, nextAttemptAt: now + backoffMs(r.pushAttempts), pushUpdatedAt: now });
        out.retrying++;
      } else {
        await update(db, r.id, { pushStatus: "failed", pushError: `${receipt.error}: ${receipt.message}`, nextAttemptAt: null, pushUpdatedAt: now });
        out.failed++;
      }
    }
  }
  return out;
}

/** The scheduled handler's share: due sends and receipts of every student, and expired exports removed. */
export async function runWalletJobs(db: Db, config: Config, now: number): Promise<PushRunResult & { pruned: number }> {
  const r = await processPush(db, config, {}, now);
  // An expired export can no longer be restored; its row (and sealed payload) goes a day later.
  const pruned = await db.delete(walletExports).where(lte(walletExports.expiresAt, now - 86_400_000)).run();
  return { ...r, pruned: pruned.rowsAffected };
}
