// The student's wallet app (docs/wallet.md). A template leaves the student's Durable Object only sealed
// (a JWE bound to the student, modality, model id, version and an expiry); the sealed export is kept in
// wallet_exports until it expires, so the wallet can fetch it whether or not the push notice arrives.
// The push notice carries only the export id. Push delivery goes through Expo's push service
// (./expo-push.ts): send now, read the receipt later, retry rate limits and outages with backoff,
// forget tokens Expo reports as DeviceNotRegistered.
import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, sql } from "drizzle-orm";
import { FACE_MODEL_ID } from "../biometrics/face/policy";
import { HANDWRITING_MODEL_ID } from "../biometrics/signal-models";
// Only the model's descriptor JSON: this module imports no audio decoder (as in biometrics-face.ts).
import { DEFAULT_VOICE_MODEL_ID } from "../biometrics/voice/model";
import type { Db } from "../db/client";
import { walletExports } from "../db/schema";
import { type TemplateOwner, templateObjectName } from "../durable-objects/names";
import type { BiometricType } from "../durable-objects/student-templates";
import type { RestoreItem, RestoreRefusal, WalletVersionInfo } from "../durable-objects/wallet-seal";
import { type Bindings, type Config, loadConfig } from "../env";
import { AppError } from "../lib/errors";
import type { Caller } from "../types";
import { getPushReceipts, type PushClientOptions, type PushMessage, RETRYABLE_ERRORS, sendPushNotifications } from "./expo-push";

export const BIOMETRIC_TYPES = ["Face", "Voice", "Handwriting"] as const satisfies readonly BiometricType[];

/** The model each modality runs on this server now; a modality without one has no templates to export. */
export const CURRENT_MODEL_IDS: Partial<Record<BiometricType, string>> = { Face: FACE_MODEL_ID, Voice: DEFAULT_VOICE_MODEL_ID, Handwriting: HANDWRITING_MODEL_ID };

/** Sends of one notice before it is given up. */
export const MAX_PUSH_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 30 * 60_000;
/** Expo keeps receipts for a day; after that the outcome stays unknown. */
const RECEIPT_RETENTION_MS = 24 * 3600_000;
/** A row being processed is leased for this long, so that two runs do not send one notice twice. */
const LEASE_MS = 60_000;

const ownerOf = (caller: Caller): TemplateOwner => ({ institutionId: caller.institutionId, studentId: caller.userId });

function templates(env: Bindings, owner: TemplateOwner) {
  if (!env.STUDENT_TEMPLATES || !loadConfig(env).templateEncryptionKey) {
    throw new AppError(503, "Biometric templates are not available on this server");
  }
  return env.STUDENT_TEMPLATES.get(env.STUDENT_TEMPLATES.idFromName(templateObjectName(owner)));
}

export const pushOptions = (config: Config): PushClientOptions => ({ baseUrl: config.wallet.expoPushUrl, accessToken: config.wallet.expoAccessToken, timeoutMs: 5000 });

export const backoffMs = (attempts: number, retryAfterMs?: number) =>
  Math.max(retryAfterMs ?? 0, Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1)));

type ExportRow = typeof walletExports.$inferSelect;

/** The state of one export as the apps see it (never the sealed payload). */
export function exportView(r: ExportRow) {
  return {
    export_id: r.id,
    biometric_type: r.biometricType,
    model_id: r.modelId,
    template_version: r.templateVersion,
    requested_at: new Date(r.createdAt).toISOString(),
    expires_at: new Date(r.expiresAt).toISOString(),
    push: {
      status: r.pushStatus,
      error: r.pushError,
      ticket_id: r.pushTicketId,
      attempts: r.pushAttempts,
      next_attempt_at: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString(),
    },
    fetched_by_wallet: r.fetchedAt !== null,
    fetched_at: r.fetchedAt === null ? null : new Date(r.fetchedAt).toISOString(),
    returned_at: r.returnedAt === null ? null : new Date(r.returnedAt).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Export

/**
 * Seals the student's template of one type, keeps the sealed export, and sends the wallet a push notice
 * (now; retried later when Expo is rate-limiting or unreachable). Returns the export's state.
 */
export async function requestExport(env: Bindings, db: Db, caller: Caller, biometricType: BiometricType, pushToken: string, now: number) {
  const config = loadConfig(env);
  const owner = ownerOf(caller);
  const model = CURRENT_MODEL_IDS[biometricType];
  if (!model) throw AppError.notFound("biometric", biometricType, `No ${biometricType} template: ${biometricType} biometrics are not available on this server`);
  const id = crypto.randomUUID();
  const r = await templates(env, owner).exportTemplate(owner, biometricType, model, id, now, config.wallet.exportTtlDays * 86_400_000);
  if (!r.ok) {
    if (r.reason === "not_enrolled") throw AppError.notFound("biometric", biometricType, `No ${biometricType} template is registered for this student`);
    throw AppError.validation(
      { badFormatted: ["biometric_type"], details: { biometric_type: [`reenrolment_required: the ${biometricType} template was built with an older model; register again`] } },
      `${biometricType} re-enrolment required`,
    );
  }
  // An older notice of this type still waiting to be sent would only announce a superseded export. One
  // batch (one transaction): of two concurrent exports, the later one supersedes the earlier, never both queued.
  const supersede = db
    .update(walletExports)
    .set({ pushStatus: "failed", pushError: "superseded by a newer export", nextAttemptAt: null, pushUpdatedAt: now })
    .where(and(eq(walletExports.userId, caller.userId), eq(walletExports.biometricType, biometricType), eq(walletExports.pushStatus, "queued")));
  const insert = db.insert(walletExports).values({
    id,
    institutionId: caller.institutionId,
    userId: caller.userId,
    biometricType,
    modelId: r.modelId,
    templateVersion: r.version,
    sealed: r.sealed,
    createdAt: now,
    expiresAt: r.expiresAt,
    pushToken,
    pushStatus: "queued",
    nextAttemptAt: now,
    pushUpdatedAt: now,
  });
  await db.batch([supersede, insert]);
  await processPush(db, config, { ids: [id] }, now);
  const [row] = await db.select().from(walletExports).where(eq(walletExports.id, id));
  return exportView(row!);
}

// ---------------------------------------------------------------------------------------------------
// Push delivery

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

/** Claims due rows (a lease on next_attempt_at) so that a concurrent run skips them. */
async function claimDue(db: Db, filter: { ids?: string[]; userId?: number }, now: number, limit: number): Promise<ExportRow[]> {
  const conds = [inArray(walletExports.pushStatus, ["queued", "sent"]), isNotNull(walletExports.nextAttemptAt), lte(walletExports.nextAttemptAt, now)];
  if (filter.ids) conds.push(inArray(walletExports.id, filter.ids));
  if (filter.userId !== undefined) conds.push(eq(walletExports.userId, filter.userId));
  const due = await db.select().from(walletExports).where(and(...conds)).orderBy(asc(walletExports.nextAttemptAt)).limit(limit);
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
  const out: PushRunResult = { sent: 0, delivered: 0, retrying: 0, failed: 0 };
  const rows = await claimDue(db, filter, now, limit);
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

// ---------------------------------------------------------------------------------------------------
// What the apps see

async function versionsOf(env: Bindings, caller: Caller): Promise<Map<string, WalletVersionInfo>> {
  const list = await templates(env, ownerOf(caller)).walletVersions(ownerOf(caller));
  return new Map(list.map((v) => [v.biometricType, v]));
}

/** The latest unexpired export per type of this student. */
async function latestExports(db: Db, caller: Caller, now: number): Promise<Map<string, ExportRow>> {
  const rows = await db
    .select()
    .from(walletExports)
    .where(and(eq(walletExports.institutionId, caller.institutionId), eq(walletExports.userId, caller.userId), sql`${walletExports.expiresAt} > ${now}`))
    .orderBy(desc(walletExports.createdAt));
  const latest = new Map<string, ExportRow>();
  for (const r of rows) if (!latest.has(r.biometricType)) latest.set(r.biometricType, r);
  return latest;
}

export type WalletTypeStatus = {
  available: boolean;
  server_has_template: boolean;
  template_version: number | null;
  requested: boolean;
  export: (ReturnType<typeof exportView> & { valid: boolean }) | null;
};

/**
 * GET /biometrics/wallet/status (the desktop app, and the wallet): per type, what the server holds and
 * the latest export's state: push notice queued / sent / delivered / failed, fetched by the wallet,
 * returned. Due push work of this student is done first, so polling this endpoint moves it on.
 */
export async function walletStatus(env: Bindings, db: Db, caller: Caller, now: number) {
  await processPush(db, loadConfig(env), { userId: caller.userId }, now, 20);
  const [versions, latest] = await Promise.all([versionsOf(env, caller), latestExports(db, caller, now)]);
  const status = {} as Record<(typeof BIOMETRIC_TYPES)[number], WalletTypeStatus>;
  for (const t of BIOMETRIC_TYPES) {
    const v = versions.get(t);
    const e = latest.get(t);
    status[t] = {
      available: CURRENT_MODEL_IDS[t] !== undefined,
      server_has_template: v?.held ?? false,
      template_version: v && v.version > 0 ? v.version : null,
      requested: e !== undefined,
      export: e ? { ...exportView(e), valid: v?.version === e.templateVersion && e.modelId === CURRENT_MODEL_IDS[t] } : null,
    };
  }
  return status;
}

/**
 * GET /biometrics/push_notification (the wallet): the latest unexpired export per type, sealed payload
 * included, and whether it is still valid. The first fetch is recorded (`fetched_at`): that is the
 * moment the desktop app learns the phone has it. Fetching again returns the same exports until they
 * expire, so a lost response loses nothing.
 */
export async function walletInbox(env: Bindings, db: Db, caller: Caller, now: number, exportId?: string) {
  await processPush(db, loadConfig(env), { userId: caller.userId }, now, 20);
  const [versions, latest] = await Promise.all([versionsOf(env, caller), latestExports(db, caller, now)]);
  let rows = [...latest.values()];
  if (exportId !== undefined) {
    const [one] = await db
      .select()
      .from(walletExports)
      .where(and(eq(walletExports.id, exportId), eq(walletExports.userId, caller.userId), eq(walletExports.institutionId, caller.institutionId)));
    if (!one || one.expiresAt <= now) throw AppError.notFound("export", exportId, "No unexpired wallet export with this id");
    rows = [one];
  }
  const unfetched = rows.filter((r) => r.fetchedAt === null).map((r) => r.id);
  // Only rows still unfetched: a concurrent fetch that came first keeps its time.
  if (unfetched.length) await db.update(walletExports).set({ fetchedAt: now }).where(and(inArray(walletExports.id, unfetched), isNull(walletExports.fetchedAt)));
  return rows
    .sort((a, b) => BIOMETRIC_TYPES.indexOf(a.biometricType) - BIOMETRIC_TYPES.indexOf(b.biometricType))
    .map((r) => ({
      ...exportView({ ...r, fetchedAt: r.fetchedAt ?? now }),
      valid: versions.get(r.biometricType)?.version === r.templateVersion && r.modelId === CURRENT_MODEL_IDS[r.biometricType],
      sealed: r.sealed,
    }));
}

// ---------------------------------------------------------------------------------------------------
// Return from the wallet

const REFUSAL_MESSAGE: Record<RestoreRefusal["reason"], string> = {
  unreadable: "The sealed template was changed or was not issued by this server",
  wrong_student: "The sealed template belongs to another student",
  wrong_modality: "The sealed template is of another biometric type",
  expired: "The sealed template has expired",
  model_mismatch: "The sealed template was made with another model",
  stale_version: "The sealed template is an old version (re-enrolled or revoked)",
  not_supported: "This biometric type is not available on this server",
};

/**
 * POST /biometrics/wallet/send: restores the templates the wallet returns, all or none. Any refusal is
 * a 400 naming the field, and nothing changes on the server.
 */
export async function restoreFromWallet(env: Bindings, db: Db, caller: Caller, items: RestoreItem[], now: number) {
  const owner = ownerOf(caller);
  const r = await templates(env, owner).restoreTemplates(owner, items, CURRENT_MODEL_IDS, now);
  if (!r.ok) throw AppError.validation({ badFormatted: [r.field], details: { [r.field]: [`${r.reason}: ${r.detail}`] } }, REFUSAL_MESSAGE[r.reason]);
  const ids = r.restored.map((x) => x.exportId);
  await db
    .update(walletExports)
    .set({ returnedAt: now })
    .where(and(inArray(walletExports.id, ids), eq(walletExports.userId, caller.userId), eq(walletExports.institutionId, caller.institutionId)));
  return r.restored;
}

/** POST /biometrics/wallet/revoke: every earlier export of the type becomes useless (a lost phone). */
export async function revokeWalletCopies(env: Bindings, caller: Caller, biometricType: BiometricType) {
  const owner = ownerOf(caller);
  const r = await templates(env, owner).revokeWalletCopies(owner, biometricType);
  if (!r) throw AppError.notFound("biometric", biometricType, `No ${biometricType} template was ever registered for this student`);
  return r;
}
