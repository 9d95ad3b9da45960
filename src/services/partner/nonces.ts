// Replay protection: a nonce is accepted once per institution within 24 hours. One statement both
// checks and records (atomic under concurrent requests); a row older than 24 h is simply taken over.
import { lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { partnerNonces } from "../../db/schema";

export const NONCE_WINDOW_MS = 24 * 3600_000;

export async function consumeNonce(db: Db, institutionId: number, nonce: string, now: number): Promise<boolean> {
  const rows = await db
    .insert(partnerNonces)
    .values({ institutionId, nonce, createdAt: now })
    .onConflictDoUpdate({
      target: [partnerNonces.institutionId, partnerNonces.nonce],
      set: { createdAt: now },
      setWhere: sql`${partnerNonces.createdAt} <= ${now - NONCE_WINDOW_MS}`,
    })
    .returning({ nonce: partnerNonces.nonce });
  return rows.length === 1;
}

export async function pruneNonces(db: Db, now: number) {
  await db.delete(partnerNonces).where(lt(partnerNonces.createdAt, now - NONCE_WINDOW_MS));
}
