// A client of Expo's push service protocol (https://docs.expo.dev/push-notifications/sending-notifications/):
//   POST {base}/--/api/v2/push/send         body: [message, ...] (at most 100) -> { data: [ticket, ...] }
//   POST {base}/--/api/v2/push/getReceipts  body: { ids: [...] } (at most 1000) -> { data: { id: receipt } }
// A ticket is { status: "ok", id } or { status: "error", message, details: { error } }; a receipt is
// { status: "ok" } or { status: "error", message, details: { error } }, absent while not yet ready.
// Errors of the whole request come as HTTP 4xx/5xx with { errors: [{ code, message }] }; 429 means the
// project's rate limit. The optional access token goes in `Authorization: Bearer`. No retry happens
// here: results say what to do (retry later, forget the token, give up) and the caller schedules it.
import { readLimited } from "../../lib/read-limited";

export type PushClientOptions = { baseUrl: string; accessToken?: string; timeoutMs?: number };

export type PushMessage = {
  to: string;
  title?: string;
  body?: string;
  data?: Record<string, unknown>;
  sound?: "default" | null;
  priority?: "default" | "normal" | "high";
  ttl?: number;
  channelId?: string;
  _contentAvailable?: boolean;
};

/** Expo's error codes in tickets and receipts (others may appear; they are kept as they come). */
export type PushErrorCode = "DeviceNotRegistered" | "MessageTooBig" | "MessageRateExceeded" | "MismatchSenderId" | "InvalidCredentials" | "ExpoError" | string;

export type PushTicket = { status: "ok"; id: string } | { status: "error"; error: PushErrorCode; message: string };
export type PushReceipt = { status: "ok" } | { status: "error"; error: PushErrorCode; message: string };

/** What a whole request came to: tickets (one per message, in order), or a failure and whether to retry. */
export type SendOutcome =
  | { kind: "tickets"; tickets: PushTicket[] }
  | { kind: "retry"; error: string; retryAfterMs?: number }
  | { kind: "failed"; error: string };

export type ReceiptsOutcome =
  | { kind: "receipts"; receipts: Record<string, PushReceipt> }
  | { kind: "retry"; error: string; retryAfterMs?: number }
  | { kind: "failed"; error: string };

/** `ExponentPushToken[...]` or `ExpoPushToken[...]`, as the Expo SDKs check it. */
export const EXPO_PUSH_TOKEN = /^(ExponentPushToken|ExpoPushToken)\[[A-Za-z0-9_\-:.]{1,200}\]$/;
export const isExpoPushToken = (s: string) => EXPO_PUSH_TOKEN.test(s);

export const MAX_MESSAGES_PER_REQUEST = 100;
// Expo's answers are a ticket or receipt per message (under 1 KiB each); anything far larger is not Expo.
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
export const MAX_RECEIPT_IDS_PER_REQUEST = 1000;

/** Errors after which sending the same message again can succeed. */
export const RETRYABLE_ERRORS = new Set<string>(["MessageRateExceeded", "ExpoError"]);

function retryAfterMs(res: Response): number | undefined {
  const v = res.headers.get("retry-after");
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

async function post(opts: PushClientOptions, path: string, body: unknown): Promise<{ res: Response; json: any } | { error: string }> {
  const headers: Record<string, string> = { accept: "application/json", "content-type": "application/json" };
  if (opts.accessToken) headers.authorization = `Bearer ${opts.accessToken}`;
  try {
    const res = await fetch(`${opts.baseUrl.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = new TextDecoder().decode(await readLimited(res.body, res.headers, MAX_ANSWER_BYTES, () => new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`)));
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { res, json };
  } catch (e) {
    return { error: `network: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The request-level failure: 429 and 5xx are retried, other 4xx (bad token, bad request) are not. */
function requestFailure(res: Response, json: any): { kind: "retry"; error: string; retryAfterMs?: number } | { kind: "failed"; error: string } {
  const first = Array.isArray(json?.errors) ? json.errors[0] : undefined;
  const code = typeof first?.code === "string" ? first.code : `HTTP ${res.status}`;
  const error = first?.message ? `${code}: ${first.message}` : code;
  if (res.status === 429) return { kind: "retry", error: code === `HTTP 429` ? "MessageRateExceeded (HTTP 429)" : error, retryAfterMs: retryAfterMs(res) };
  if (res.status >= 500) return { kind: "retry", error, retryAfterMs: retryAfterMs(res) };
  return { kind: "failed", error };
}

const ticketOf = (t: any): PushTicket =>
  t?.status === "ok" && typeof t.id === "string"
    ? { status: "ok", id: t.id }
    : { status: "error", error: String(t?.details?.error ?? "ExpoError"), message: String(t?.message ?? "error ticket") };

/** Sends up to 100 messages in one request. */
export async function sendPushNotifications(opts: PushClientOptions, messages: PushMessage[]): Promise<SendOutcome> {
  if (messages.length === 0) return { kind: "tickets", tickets: [] };
  if (messages.length > MAX_MESSAGES_PER_REQUEST) throw new Error(`at most ${MAX_MESSAGES_PER_REQUEST} messages per request`);
  const r = await post(opts, "/--/api/v2/push/send", messages);
  if ("error" in r) return { kind: "retry", error: r.error };
  if (!r.res.ok) return requestFailure(r.res, r.json);
  const data = r.json?.data;
  // A single message may be answered with a single ticket object rather than an array.
  const tickets = Array.isArray(data) ? data : data && messages.length === 1 ? [data] : null;
  if (!tickets || tickets.length !== messages.length) return { kind: "retry", error: "ExpoError: unexpected response to push/send" };
  return { kind: "tickets", tickets: tickets.map(ticketOf) };
}

/** Reads the receipts of up to 1000 tickets; ids without a receipt yet are absent from the result. */
export async function getPushReceipts(opts: PushClientOptions, ids: string[]): Promise<ReceiptsOutcome> {
  if (ids.length === 0) return { kind: "receipts", receipts: {} };
  if (ids.length > MAX_RECEIPT_IDS_PER_REQUEST) throw new Error(`at most ${MAX_RECEIPT_IDS_PER_REQUEST} ids per request`);
  const r = await post(opts, "/--/api/v2/push/getReceipts", { ids });
  if ("error" in r) return { kind: "retry", error: r.error };
  if (!r.res.ok) return requestFailure(r.res, r.json);
  const data = r.json?.data;
  if (!data || typeof data !== "object") return { kind: "retry", error: "ExpoError: unexpected response to push/getReceipts" };
  const receipts: Record<string, PushReceipt> = {};
  for (const id of ids) {
    const x = data[id];
    if (!x) continue;
    receipts[id] = x.status === "ok" ? { status: "ok" } : { status: "error", error: String(x.details?.error ?? "ExpoError"), message: String(x.message ?? "error receipt") };
  }
  return { kind: "receipts", receipts };
}
