// Wallet exports (docs/wallet.md): a template leaves the student's Durable Object only sealed (a JWE bound to
// the student, modality, model id, version and an expiry); the sealed export is kept in wallet_exports until
// it expires, so the wallet can fetch it whether or not the push notice (./push.ts) arrives.
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { walletExports } from "../../db/schema";
import { type Bindings, loadConfig } from "../../env";
import { AppError, isForeignKeyViolation } from "../../lib/errors";
import { ownerOf, templatesOf } from "../../templates/client";
import { WALLET_MODEL_IDS } from "../../templates/model-ids";
import type { BiometricType } from "../../templates/types";
import type { Caller } from "../../types";
import { processPush } from "./push";

/** The modalities a wallet can hold, in the order the apps list them. */
export const BIOMETRIC_TYPES = ["Face", "Voice", "Handwriting"] as const satisfies readonly BiometricType[];

export type ExportRow = typeof walletExports.$inferSelect;

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

/**
 * `resource_name` of the wallet endpoints' answers: the spec lists only `user`, `face` and `voice` there (200_5,
 * 404_2), so a face or voice template is named by its modality and anything else, or several, is the student's.
 */
export const walletResourceName = (types: BiometricType[]): "face" | "voice" | "user" =>
  types.length === 1 && types[0] === "Face" ? "face" : types.length === 1 && types[0] === "Voice" ? "voice" : "user";

/**
 * Seals the student's template of one type, keeps the sealed export, and sends the wallet a push notice
 * (now; retried later when Expo is rate-limiting or unreachable). Returns the export's state.
 */
export async function requestExport(env: Bindings, db: Db, caller: Caller, biometricType: BiometricType, pushToken: string, now: number) {
  const config = loadConfig(env);
  const owner = ownerOf(caller);
  const model = WALLET_MODEL_IDS[biometricType];
  if (!model) throw AppError.notFound(walletResourceName([biometricType]), biometricType, `No ${biometricType} template: ${biometricType} biometrics are not available on this server`);
  const id = crypto.randomUUID();
  const r = await templatesOf(env, owner).exportTemplate(owner, biometricType, model, id, now, config.wallet.exportTtlDays * 86_400_000);
  if (!r.ok) {
    if (r.reason === "not_enrolled") throw AppError.notFound(walletResourceName([biometricType]), biometricType, `No ${biometricType} template is registered for this student`);
    throw AppError.validation(
      { badFormatted: ["biometric_type"], details: { biometric_type: [`reenrolment_required: the ${biometricType} template can no longer be used (built with an older model, or sealed under a template key this server no longer has); register again`] } },
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
  try {
    await db.batch([supersede, insert]);
  } catch (e) {
    // The account was erased while this access token was still valid (SECURITY.md, "Deletion"): the export's row
    // cannot point at it. A refusal, not a 500.
    if (isForeignKeyViolation(e)) throw AppError.unauthorized("This account no longer exists");
    throw e;
  }
  await processPush(db, config, { ids: [id] }, now);
  const [row] = await db.select().from(walletExports).where(eq(walletExports.id, id));
  return exportView(row!);
}
