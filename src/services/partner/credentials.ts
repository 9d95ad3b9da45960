// Partner API credentials: an API token (kept as its SHA-256) and a secret key (kept sealed) per row.
// An institution has at most two active rows, so that a key can rotate without downtime: the newest
// and the one it replaces. A request is accepted with any active token of the institution, signed with
// any of its active secret keys; callbacks are signed with every active secret key.
// The operator command scripts/partner-credentials.mjs does the same in Node (same SQL, same sealing).
import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { partnerCredentials } from "../../db/schema";
import { openSecret, randomHex, sealSecret, sha256Hex } from "./crypto";

export const MAX_ACTIVE_CREDENTIALS = 2;

/** Adds a credential, revoking all but the newest active one first. Returns the token and key once. */
export async function issueCredential(db: Db, sealKey: string, institutionId: number, now: number) {
  const token = randomHex(32);
  const secretKey = randomHex(32);
  const active = await db
    .select({ id: partnerCredentials.id })
    .from(partnerCredentials)
    .where(and(eq(partnerCredentials.institutionId, institutionId), isNull(partnerCredentials.revokedAt)))
    .orderBy(desc(partnerCredentials.id));
  const toRevoke = active.slice(MAX_ACTIVE_CREDENTIALS - 1).map((r) => r.id);
  const insert = db
    .insert(partnerCredentials)
    .values({ institutionId, tokenHash: await sha256Hex(token), secretKeySealed: await sealSecret(sealKey, institutionId, secretKey), createdAt: now })
    .returning({ id: partnerCredentials.id });
  if (toRevoke.length > 0) {
    const [, inserted] = await db.batch([
      db.update(partnerCredentials).set({ revokedAt: now }).where(inArray(partnerCredentials.id, toRevoke)),
      insert,
    ]);
    return { id: inserted[0]!.id, token, secretKey };
  }
  const [row] = await insert;
  return { id: row!.id, token, secretKey };
}

export type PartnerIdentity = { institutionId: number; secrets: string[] };

/** The institution behind an API token and its active secret keys, or null for an unknown/revoked token. */
export async function identifyToken(db: Db, sealKey: string, token: string): Promise<PartnerIdentity | null> {
  const [hit] = await db
    .select({ institutionId: partnerCredentials.institutionId })
    .from(partnerCredentials)
    .where(and(eq(partnerCredentials.tokenHash, await sha256Hex(token)), isNull(partnerCredentials.revokedAt)))
    .limit(1);
  if (!hit) return null;
  const secrets = await activeSecrets(db, sealKey, hit.institutionId);
  return secrets.length > 0 ? { institutionId: hit.institutionId, secrets } : null;
}

export async function activeSecrets(db: Db, sealKey: string, institutionId: number): Promise<string[]> {
  const rows = await db
    .select({ sealed: partnerCredentials.secretKeySealed })
    .from(partnerCredentials)
    .where(and(eq(partnerCredentials.institutionId, institutionId), isNull(partnerCredentials.revokedAt)))
    .orderBy(desc(partnerCredentials.id))
    .limit(MAX_ACTIVE_CREDENTIALS);
  const opened = await Promise.all(rows.map((r) => openSecret(sealKey, institutionId, r.sealed)));
  if (opened.some((s) => s === null)) {
    // A row that does not open was sealed under another key or altered: never usable, worth an alert.
    console.error(JSON.stringify({ level: "error", msg: "partner secret key does not unseal", institution_id: institutionId }));
  }
  return opened.filter((s): s is string => s !== null);
}
