// What the apps see of the wallet (docs/wallet.md): per type, what the server holds and the latest export's
// state (the desktop app), and the unexpired sealed exports themselves (the wallet).
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { walletExports } from "../../db/schema";
import { type Bindings, loadConfig } from "../../env";
import { AppError } from "../../lib/errors";
import { ownerOf, templatesOf } from "../../templates/client";
import { WALLET_MODEL_IDS } from "../../templates/model-ids";
import type { WalletVersionInfo } from "../../templates/types";
import type { Caller } from "../../types";
import { BIOMETRIC_TYPES, type ExportRow, exportView } from "./exports";
import { dueExportsQuery, processDuePush } from "./push";

async function versionsOf(env: Bindings, caller: Caller): Promise<Map<string, WalletVersionInfo>> {
  const list = await templatesOf(env, ownerOf(caller)).walletVersions(ownerOf(caller));
  return new Map(list.map((v) => [v.biometricType, v]));
}

/**
 * The student's unexpired exports, newest first (a statement, to run alone or in a batch). Exports made in the same
 * millisecond are in the order written (rowid): the later one superseded the earlier (exports.ts), and a probe's
 * status showed a superseded one as the latest.
 */
const unexpiredExportsQuery = (db: Db, caller: Caller, now: number) =>
  db
    .select()
    .from(walletExports)
    .where(and(eq(walletExports.institutionId, caller.institutionId), eq(walletExports.userId, caller.userId), sql`${walletExports.expiresAt} > ${now}`))
    .orderBy(desc(walletExports.createdAt), sql`rowid desc`);

/**
 * The latest unexpired export per type of this student, after the student's due push work (sends to retry,
 * receipts) is done. One round trip when none is due (the due rows and the exports are read in one batch);
 * when some is, the exports are read again after it.
 */
async function latestExports(env: Bindings, db: Db, caller: Caller, now: number): Promise<Map<string, ExportRow>> {
  const [due, first] = await db.batch([dueExportsQuery(db, { userId: caller.userId }, now, 20), unexpiredExportsQuery(db, caller, now)]);
  let rows = first;
  if (due.length > 0) {
    await processDuePush(db, loadConfig(env), due, now);
    rows = await unexpiredExportsQuery(db, caller, now);
  }
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
  const [versions, latest] = await Promise.all([versionsOf(env, caller), latestExports(env, db, caller, now)]);
  const status = {} as Record<(typeof BIOMETRIC_TYPES)[number], WalletTypeStatus>;
  for (const t of BIOMETRIC_TYPES) {
    const v = versions.get(t);
    const e = latest.get(t);
    status[t] = {
      available: WALLET_MODEL_IDS[t] !== undefined,
      server_has_template: v?.held ?? false,
      template_version: v && v.version > 0 ? v.version : null,
      requested: e !== undefined,
      export: e ? { ...exportView(e), valid: v?.version === e.templateVersion && e.modelId === WALLET_MODEL_IDS[t] } : null,
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
export async function walletInbox(env: Bindings, db: Db, caller: Caller, now: number, exportId?: string, opts: { recordFetch: boolean } = { recordFetch: true }) {
  const [versions, latest] = await Promise.all([versionsOf(env, caller), latestExports(env, db, caller, now)]);
  let rows = [...latest.values()];
  if (exportId !== undefined) {
    const [one] = await db
      .select()
      .from(walletExports)
      .where(and(eq(walletExports.id, exportId), eq(walletExports.userId, caller.userId), eq(walletExports.institutionId, caller.institutionId)));
    if (!one || one.expiresAt <= now) throw AppError.notFound("export", exportId, "No unexpired wallet export with this id");
    rows = [one];
  }
  // A HEAD delivers no sealed copy (a proxy, a link checker, a connectivity probe): it is not the wallet's fetch.
  const unfetched = opts.recordFetch ? rows.filter((r) => r.fetchedAt === null).map((r) => r.id) : [];
  // Only rows still unfetched: a concurrent fetch that came first keeps its time.
  if (unfetched.length) await db.update(walletExports).set({ fetchedAt: now }).where(and(inArray(walletExports.id, unfetched), isNull(walletExports.fetchedAt)));
  return rows
    .sort((a, b) => BIOMETRIC_TYPES.indexOf(a.biometricType) - BIOMETRIC_TYPES.indexOf(b.biometricType))
    .map((r) => ({
      ...exportView({ ...r, fetchedAt: r.fetchedAt ?? (opts.recordFetch ? now : null) }),
      valid: versions.get(r.biometricType)?.version === r.templateVersion && r.modelId === WALLET_MODEL_IDS[r.biometricType],
      sealed: r.sealed,
    }));
}
