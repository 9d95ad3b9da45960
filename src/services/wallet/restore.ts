// Templates coming back from the wallet, and revoking the wallet's copies (docs/wallet.md).
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { walletExports } from "../../db/schema";
import type { Bindings } from "../../env";
import { AppError } from "../../lib/errors";
import { ownerOf, templatesOf } from "../../templates/client";
import { WALLET_MODEL_IDS } from "../../templates/model-ids";
import type { BiometricType, RestoreItem, RestoreRefusal } from "../../templates/types";
import type { Caller } from "../../types";
import { walletResourceName } from "./exports";

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
  const r = await templatesOf(env, owner).restoreTemplates(owner, items, WALLET_MODEL_IDS, now);
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
  const r = await templatesOf(env, owner).revokeWalletCopies(owner, biometricType);
  if (!r) throw AppError.notFound(walletResourceName([biometricType]), biometricType, `No ${biometricType} template was ever registered for this student`);
  return r;
}
