// A local receiver for partner API callbacks (started by global-setup: workerd tests cannot listen).
//   POST /hooks/<name>              records the delivery; answers 500 while failures are scheduled, else 200
//   POST /control/<name>?fail=<n>   makes the next n deliveries to <name> fail
//   GET  /received/<name>           the deliveries so far: [{ headers, body, status }]
import http from "node:http";
import { listenOnLocalPort, type LocalServer } from "./listen";

type Delivery = { headers: Record<string, string>; body: string; status: number };

export function startCallbackReceiver(): Promise<LocalServer> {
  const received = new Map<string, Delivery[]>();
  const failures = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (ch: Buffer) => chunks.push(ch));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://receiver");
      const [, kind, name = ""] = url.pathname.split("/");
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "POST" && kind === "hooks") {
        const left = failures.get(name) ?? 0;
        const status = left > 0 ? 500 : 200;
        if (left > 0) failures.set(name, left - 1);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        received.set(name, [...(received.get(name) ?? []), { headers, body: Buffer.concat(chunks).toString("utf8"), status }]);
        return reply(status, { ok: status === 200 });
      }
      if (req.method === "POST" && kind === "control") {
        failures.set(name, Number(url.searchParams.get("fail") ?? 0));
        return reply(200, { ok: true });
      }
      if (req.method === "GET" && kind === "received") return reply(200, received.get(name) ?? []);
      reply(404, { error: "unknown" });
    });
  });
  return listenOnLocalPort(server);
}
