// A local server speaking Postmark's "send a single email" protocol (POST /email, server token in
// X-Postmark-Server-Token), as src/services/mail/postmark.ts uses it. Started by global-setup (workerd
// tests cannot listen). It refuses what Postmark refuses: a wrong token (401, ErrorCode 10), a missing
// From / To / body (422, ErrorCode 300), and recipients at `bounce.invalid` (422, ErrorCode 406, inactive).
// Test control: GET /sent?to=<address> lists the mails accepted for that address.
import http from "node:http";
import { listenOnLocalPort, type LocalServer } from "./listen";

// The same value as TEST_MAIL_TOKEN in vitest.config.ts, which binds it as MAIL_API_TOKEN.
export const FAKE_MAIL_TOKEN = "test-only-mail-server-token";

export function startFakeMail(): Promise<LocalServer> {
  const sent = new Map<string, unknown[]>();
  let nextId = 1;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (ch: Buffer) => chunks.push(ch));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://mail");
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "GET" && url.pathname === "/sent") return reply(200, sent.get((url.searchParams.get("to") ?? "").toLowerCase()) ?? []);
      if (req.method !== "POST" || url.pathname !== "/email") return reply(404, { ErrorCode: 404, Message: "not found" });
      if (req.headers["x-postmark-server-token"] !== FAKE_MAIL_TOKEN) {
        return reply(401, { ErrorCode: 10, Message: "The Server Token you provided in the X-Postmark-Server-Token request header was invalid." });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(422, { ErrorCode: 402, Message: "Received invalid JSON input." });
      }
      const to = typeof body.To === "string" ? body.To.toLowerCase() : "";
      if (!body.From || !to || (!body.TextBody && !body.HtmlBody)) return reply(422, { ErrorCode: 300, Message: "Invalid email request" });
      if (to.endsWith("@bounce.invalid")) return reply(422, { ErrorCode: 406, Message: "You tried to send to a recipient that has been marked as inactive." });
      const id = `msg-${nextId++}`;
      sent.set(to, [...(sent.get(to) ?? []), { ...body, MessageID: id }]);
      reply(200, { To: body.To, SubmittedAt: new Date().toISOString(), MessageID: id, ErrorCode: 0, Message: "OK" });
    });
  });
  return listenOnLocalPort(server);
}
