// Replay protection: a nonce is accepted once per institution within 24 hours. One statement both
// checks and records (atomic under concurrent requests); a row older than 24 h is simply taken over.
import { lt, sql } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Db } from "../../db/client";
import { partnerNonces } from "../../db/schema";

export const NONCE_WINDOW_MS = 24 * 3600_000;

/** The statement that uses up a nonce: one row back when accepted, none when it was used in the last 24 h. */
const useNonce = (db: Db, institutionId: number, nonce: string, now: number) =>
  db
    .insert(partnerNonces)
    .values({ institutionId, nonce, createdAt: now })
    .onConflictDoUpdate({
      target: [partnerNonces.institutionId, partnerNonces.nonce],
      set: { createdAt: now },
      setWhere: sql`${partnerNonces.createdAt} <= ${now - NONCE_WINDOW_MS}`,
    })
    .returning({ nonce: partnerNonces.nonce });

/**
 * A signed request's nonce, still to be used up. An endpoint puts `statement` FIRST in the batch of its first
 * reads (one round trip for both; a batch is one transaction) and calls `check` on its result before looking
 * at the rest, so a replay is refused before anything is answered or written. Only reads may share that
 * batch: the nonce statement does not abort the batch on a replay, so a write beside it would be applied.
 */
export class PendingNonce {
  /** Whether the statement was handed out (sent in some batch, or used by useNow). */
  sent = false;

  constructor(
    readonly institutionId: number,
    readonly nonce: string,
    readonly now: number,
    private readonly replayed: () => Error,
  ) {}

  statement(db: Db) {
    this.sent = true;
    return useNonce(db, this.institutionId, this.nonce, this.now);
  }

  /** Throws the refusal when the statement's result says the nonce was already used. */
  check(rows: readonly unknown[]) {
    if (rows.length !== 1) throw this.replayed();
  }

  /** Uses the nonce up on its own (one round trip). */
  async useNow(db: Db) {
    this.check(await this.statement(db));
  }
}

/**
 * Runs an endpoint's reads in one batch, with the request's pending nonce (if any) used up first in it:
 * one round trip for both. A replay throws the refusal before any read is looked at.
 */
export async function readAfterNonce<T extends [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]>(
  db: Db,
  nonce: PendingNonce | undefined,
  reads: T,
): Promise<BatchResponse<T>> {
  if (!nonce) return db.batch(reads);
  const [used, ...results] = await db.batch([nonce.statement(db), ...reads]);
  nonce.check(used);
  return results as BatchResponse<T>;
}

export async function pruneNonces(db: Db, now: number) {
  await db.delete(partnerNonces).where(lt(partnerNonces.createdAt, now - NONCE_WINDOW_MS));
}
