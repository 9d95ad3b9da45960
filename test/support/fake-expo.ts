// A local server speaking Expo's push service protocol (started by global-setup: workerd tests cannot
// listen). What it answers depends on the token inside ExponentPushToken[...]:
//   ok-*            ticket ok, receipt ok
//   unregistered-*  error ticket DeviceNotRegistered
//   gone-*          ticket ok, receipt error DeviceNotRegistered
//   late-*          ticket ok, no receipt on the first read, ok afterwards
//   dropped-*       ticket ok, receipt MessageRateExceeded the first time, ok for later tickets
//   ticketrate-*    error ticket MessageRateExceeded the first time, ok afterwards
//   toobig-*        error ticket MessageTooBig
//   busy<n>-*       HTTP 429 (Retry-After: 1) for the first n requests with this token, then ok
// Test control:
//   GET /sent?token=<t>       the messages received for that token: [{ message, headers }]
//   GET /receipt-reads?id=<t> how many times the receipt of ticket id was asked for
//   GET /requests             counts of requests per path
import http from "node:http";
import { listenOnLocalPort, type LocalServer } from "./listen";

type Sent = { message: any; headers: Record<string, string> };

export function startFakeExpo(): Promise<LocalServer> {
  const sent = new Map<string, Sent[]>();
  const tickets = new Map<string, { token: string; n: number }>(); // ticket id -> token, nth ticket of the token
  const receiptReads = new Map<string, number>();
  const busy = new Map<string, number>();
  const requests: Record<string, number> = {};
  let nextId = 1;

  const tokenKind = (to: string) => /\[(.*)\]$/.exec(to)?.[1] ?? "";

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (ch: Buffer) => chunks.push(ch));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://expo");
      requests[url.pathname] = (requests[url.pathname] ?? 0) + 1;
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;

      if (req.method === "POST" && url.pathname === "/--/api/v2/push/send") {
        let messages: any[];
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          messages = Array.isArray(body) ? body : [body];
        } catch {
          return reply(400, { errors: [{ code: "VALIDATION_ERROR", message: "body is not JSON" }] });
        }
        if (headers["content-type"] !== "application/json") return reply(400, { errors: [{ code: "VALIDATION_ERROR", message: "content-type" }] });
        if (messages.length > 100) return reply(400, { errors: [{ code: "PUSH_TOO_MANY_NOTIFICATIONS", message: "more than 100" }] });
        // A 429 for the whole request when any of its tokens is "busy".
        for (const m of messages) {
          const kind = tokenKind(String(m.to));
          const b = /^busy(\d+)-/.exec(kind);
          if (b) {
            const seen = busy.get(kind) ?? 0;
            busy.set(kind, seen + 1);
            if (seen < Number(b[1])) {
              return reply(429, { errors: [{ code: "RATE_LIMIT_EXCEEDED", message: "too many requests" }] }, { "retry-after": "1" });
            }
          }
        }
        const data = messages.map((m) => {
          const to = String(m.to);
          const kind = tokenKind(to);
          const list = sent.get(kind) ?? [];
          list.push({ message: m, headers });
          sent.set(kind, list);
          if (kind.startsWith("unregistered-")) {
            return { status: "error", message: `"${to}" is not a registered push notification recipient`, details: { error: "DeviceNotRegistered", expoPushToken: to } };
          }
          if (kind.startsWith("toobig-")) return { status: "error", message: "Message too big", details: { error: "MessageTooBig" } };
          if (kind.startsWith("ticketrate-") && list.length === 1) {
            return { status: "error", message: "Rate exceeded", details: { error: "MessageRateExceeded" } };
          }
          const id = `ticket-${nextId++}`;
          tickets.set(id, { token: kind, n: list.length });
          return { status: "ok", id };
        });
        return reply(200, { data });
      }

      if (req.method === "POST" && url.pathname === "/--/api/v2/push/getReceipts") {
        let ids: string[];
        try {
          ids = JSON.parse(Buffer.concat(chunks).toString("utf8")).ids;
        } catch {
          return reply(400, { errors: [{ code: "VALIDATION_ERROR", message: "body is not JSON" }] });
        }
        const data: Record<string, unknown> = {};
        for (const id of ids) {
          const reads = (receiptReads.get(id) ?? 0) + 1;
          receiptReads.set(id, reads);
          const t = tickets.get(id);
          if (!t) continue;
          if (t.token.startsWith("late-") && reads === 1) continue;
          if (t.token.startsWith("gone-")) data[id] = { status: "error", message: "not registered", details: { error: "DeviceNotRegistered" } };
          else if (t.token.startsWith("dropped-") && t.n === 1) data[id] = { status: "error", message: "rate exceeded", details: { error: "MessageRateExceeded" } };
          else data[id] = { status: "ok" };
        }
        return reply(200, { data });
      }

      if (req.method === "GET" && url.pathname === "/sent") return reply(200, sent.get(url.searchParams.get("token") ?? "") ?? []);
      if (req.method === "GET" && url.pathname === "/receipt-reads") return reply(200, { reads: receiptReads.get(url.searchParams.get("id") ?? "") ?? 0 });
      if (req.method === "GET" && url.pathname === "/requests") return reply(200, requests);
      reply(404, { errors: [{ code: "NOT_FOUND", message: "unknown path" }] });
    });
  });
  return listenOnLocalPort(server);
}
