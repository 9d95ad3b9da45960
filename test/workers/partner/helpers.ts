// Test helpers for the partner API: a fresh institution with its own credentials per test file, and
// a client that signs requests exactly as docs/partner-api.md describes.
import { env, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { openDb } from "../../../src/db/client";
import { institutions } from "../../../src/db/schema";
import type { Bindings } from "../../../src/env";
import { issueCredential } from "../../../src/services/partner/credentials";
import { type Params, signParams } from "../../../src/services/partner/signature";

export const bindings = env as unknown as Bindings & { TEST_CALLBACK_RECEIVER_URL: string };
export const db = () => openDb(bindings.DATABASE_URL!);
export const SEAL_KEY = bindings.PARTNER_SECRET_KEY_ENCRYPTION_KEY!;
export const RECEIVER = bindings.TEST_CALLBACK_RECEIVER_URL;
export const V3 = "application/vnd.procwise.v3";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${crypto.randomUUID().slice(0, 6)}`.toUpperCase();
export const nonce = () => `${Date.now()}${String(counter++).padStart(4, "0")}${Math.floor(Math.random() * 1000)}`;

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

export type PartnerCall = {
  /** Path values, by the names the route uses (`id`, `exam_id`); they are signed too. */
  path?: Record<string, string | number>;
  params?: Params;
  via?: "json" | "form" | "query";
  /** Overrides of what the client sends (to build wrong requests). */
  secret?: string;
  token?: string | null;
  accept?: string | null;
  timestamp?: number;
  nonce?: string;
  /** Changes the parameters after signing. */
  afterSigning?: (params: Params) => void;
  /** Signs this instead of the parameters sent. */
  signOnly?: (params: Params) => Params;
};

const asText = (v: unknown) => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

export async function partnerCall(partner: Partner, method: string, template: string, call: PartnerCall = {}) {
  const path = template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(call.path?.[name] ?? "")));
  const params: Params = { ...call.params, timestamp: call.timestamp ?? Date.now(), nonce: call.nonce ?? nonce() };
  // A fuzzed value may be an object, even one whose own `toString` is not a function (String() throws on it):
  // it is signed (and sent in a query or form) as its JSON text, as a client would have to.
  const signed: Params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v !== null && typeof v === "object" ? JSON.stringify(v) : v])) as Params;
  for (const [k, v] of Object.entries(call.path ?? {})) signed[k] = String(v);
  const signature = await signParams(call.secret ?? partner.secretKey, call.signOnly ? call.signOnly(signed) : signed);
  const sent: Params = { ...params, signature };
  call.afterSigning?.(sent);

  const via = call.via ?? (method === "GET" || method === "DELETE" ? "query" : "json");
  const url = new URL(`http://trustid.test/api/v3${path}`);
  const headers: Record<string, string> = {};
  if (call.accept !== null) headers.accept = call.accept ?? V3;
  if (call.token !== null) headers.authorization = `Token token=${call.token ?? partner.token}`;
  let body: string | undefined;
  if (via === "query") {
    for (const [k, v] of Object.entries(sent)) url.searchParams.set(k, asText(v));
  } else if (via === "form") {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(Object.entries(sent).map(([k, v]) => [k, asText(v)])).toString();
  } else {
    headers["content-type"] = "application/json";
    body = JSON.stringify(sent);
  }
  const res = await SELF.fetch(new Request(url, { method, headers, body }));
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

export const NOT_AUTHORIZED = { error: "You are not authorized to access this page." };
