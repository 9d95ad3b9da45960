// Test helpers for the partner API: a fresh institution with its own credentials per test file. The
// signed client is ./api.ts.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { openDb } from "../../../src/db/client";
import { institutions } from "../../../src/db/schema";
import type { Bindings } from "../../../src/env";
import { issueCredential } from "../../../src/services/partner/credentials";

export const bindings = env as unknown as Bindings & { TEST_CALLBACK_RECEIVER_URL: string };
export const db = () => openDb(bindings.DATABASE_URL!);
export const SEAL_KEY = bindings.PARTNER_SECRET_KEY_ENCRYPTION_KEY!;
export const RECEIVER = bindings.TEST_CALLBACK_RECEIVER_URL;
export { nonce, V3 } from "./api";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${crypto.randomUUID().slice(0, 6)}`.toUpperCase();

export type Partner = { institutionId: number; code: string; token: string; secretKey: string };

export async function newPartner(opts: { callbackUrl?: string } = {}): Promise<Partner> {
  const code = `P${unique()}`;
  const [inst] = await db()
    .insert(institutions)
    .values({ code, name: `Partner test ${code}`, callbackUrl: opts.callbackUrl ?? null })
    .returning({ id: institutions.id });
  const cred = await issueCredential(db(), SEAL_KEY, inst!.id, Date.now());
  return { institutionId: inst!.id, code, token: cred.token, secretKey: cred.secretKey };
}

export const setCallbackUrl = (institutionId: number, url: string | null) =>
  db().update(institutions).set({ callbackUrl: url }).where(eq(institutions.id, institutionId));

export const NOT_AUTHORIZED = { error: "You are not authorized to access this page." };
