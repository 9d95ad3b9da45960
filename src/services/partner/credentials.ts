// Partner API credentials: an API token (kept as its SHA-256) and a secret key (kept sealed) per row.
// An institution has at most two active rows, so that a key can rotate without downtime: the newest
// and the one it replaces. A request is accepted with any active token of the institution, signed with
// any of its active secret keys; callbacks are signed with every active secret key.
// The operator command scripts/partner-credentials.mjs does the same in Node (same SQL, same sealing).
import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { alias } from "drizzle-orm/sqlite-core";
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
    forgetCachedCredentials(); // the revoked one must stop working here at once
    return { id: inserted[0]!.id, token, secretKey };
  }
  const [row] = await insert;
  forgetCachedCredentials();
  return { id: row!.id, token, secretKey };
}

/** `fromCache`: the keys as this isolate read them up to `cacheMs` ago (a key rotated in since is not among them). */
export type PartnerIdentity = { institutionId: number; secrets: string[]; fromCache: boolean };

// Identified tokens, per isolate, for `credentialCacheSeconds` (PARTNER_CREDENTIAL_CACHE_SECONDS): a partner
// request then makes no database round trip for its credentials. The price, stated in docs/partner-api.md:
// a revoked token or key keeps working up to that long in an isolate that had it cached (this isolate's own
// issueCredential empties the cache at once; the operator script and other isolates cannot). Only tokens
// that were valid are kept, so an unknown token always asks the database.
const identified = new Map<string, { identity: PartnerIdentity; until: number }>();
const MAX_CACHED_TOKENS = 1000;

/** Forgets every cached identity (after a credential change made in this isolate). */
export function forgetCachedCredentials() {
  identified.clear();
}

/**
 * The institution behind an API token and its active secret keys, or null for an unknown/revoked token.
 * One round trip (the token's row joined with its institution's active rows), none within `cacheMs` of
 * the last time this isolate read the token (`cacheMs` 0: always read).
 */
export async function identifyToken(db: Db, sealKey: string, token: string, now = Date.now(), cacheMs = 0): Promise<PartnerIdentity | null> {
  const tokenHash = await sha256Hex(token);
  const hit = identified.get(tokenHash);
  if (cacheMs > 0 && hit && now < hit.until) return { ...hit.identity, fromCache: true };
  identified.delete(tokenHash);
  const presented = alias(partnerCredentials, "presented");
  const rows = await db
    .select({ institutionId: partnerCredentials.institutionId, sealed: partnerCredentials.secretKeySealed })
    .from(presented)
    .innerJoin(partnerCredentials, and(eq(partnerCredentials.institutionId, presented.institutionId), isNull(partnerCredentials.revokedAt)))
    .where(and(eq(presented.tokenHash, tokenHash), isNull(presented.revokedAt)))
    .orderBy(desc(partnerCredentials.id))
    .limit(MAX_ACTIVE_CREDENTIALS);
  if (rows.length === 0) return null;
  const institutionId = rows[0]!.institutionId;
  const secrets = await openSecrets(sealKey, institutionId, rows);
  if (secrets.length === 0) return null;
  const identity = { institutionId, secrets, fromCache: false };
  if (cacheMs > 0) {
    if (identified.size >= MAX_CACHED_TOKENS) identified.clear();
    identified.set(tokenHash, { identity, until: now + cacheMs });
  }
  return identity;
}

export async function activeSecrets(db: Db, sealKey: string, institutionId: number): Promise<string[]> {
  const rows = await db
    .select({ sealed: partnerCredentials.secretKeySealed })
    .from(partnerCredentials)
    .where(and(eq(partnerCredentials.institutionId, institutionId), isNull(partnerCredentials.revokedAt)))
    .orderBy(desc(partnerCredentials.id))
    .limit(MAX_ACTIVE_CREDENTIALS);
  return openSecrets(sealKey, institutionId, rows);
}

async function openSecrets(sealKey: string, institutionId: number, rows: { sealed: string }[]): Promise<string[]> {
  const opened = await Promise.all(rows.map((r) => openSecret(sealKey, institutionId, r.sealed)));
  if (opened.some((s) => s === null)) {
    // A row that does not open was sealed under another key or altered: never usable, worth an alert.
    console.error(JSON.stringify({ level: "error", msg: "partner secret key does not unseal", institution_id: institutionId }));
  }
  return opened.filter((s): s is string => s !== null);
}
