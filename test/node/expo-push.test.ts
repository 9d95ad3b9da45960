// The Expo push client against local servers: the fake Expo service (test/support/fake-expo.ts) and
// ad-hoc servers for the answers it does not give (5xx, 4xx, odd bodies, a dead port).
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPushReceipts, sendPushNotifications } from "../../src/services/wallet/expo-push";
import { startFakeExpo } from "../support/fake-expo";

let expo: { url: string; close: () => Promise<void> };
beforeAll(async () => {
  expo = await startFakeExpo();
});
afterAll(() => expo.close());

function server(handler: (body: string, res: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => handler(body, res));
  });
  return new Promise((r) =>
    s.listen(0, "127.0.0.1", () => r({ url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, close: () => new Promise((d) => s.close(() => d())) })),
  );
}

describe("expo push client", () => {
  it("one request for several messages; tickets in order; receipts by id", async () => {
    const out = await sendPushNotifications({ baseUrl: expo.url, accessToken: "t" }, [
      { to: "ExponentPushToken[ok-a1]", body: "x" },
      { to: "ExponentPushToken[unregistered-a2]", body: "x" },
      { to: "ExpoPushToken[toobig-a3]", body: "x" },
    ]);
    expect(out.kind).toBe("tickets");
    if (out.kind !== "tickets") return;
    expect(out.tickets[0]).toMatchObject({ status: "ok" });
    expect(out.tickets[1]).toMatchObject({ status: "error", error: "DeviceNotRegistered" });
    expect(out.tickets[2]).toMatchObject({ status: "error", error: "MessageTooBig" });
    const id = (out.tickets[0] as { id: string }).id;
    const r = await getPushReceipts({ baseUrl: `${expo.url}/` }, [id, "unknown"]);
    expect(r).toEqual({ kind: "receipts", receipts: { [id]: { status: "ok" } } });
  });

  it("429 with Retry-After and 5xx are retried; other 4xx fail; odd bodies and dead servers are retried", async () => {
    const busy = await sendPushNotifications({ baseUrl: expo.url }, [{ to: "ExponentPushToken[busy1-b1]" }]);
    expect(busy).toMatchObject({ kind: "retry", retryAfterMs: 1000 });
    const s5 = await server((_, res) => (res.writeHead(503), res.end("down")));
    expect(await sendPushNotifications({ baseUrl: s5.url }, [{ to: "ExponentPushToken[x]" }])).toMatchObject({ kind: "retry", error: "HTTP 503" });
    await s5.close();
    const s4 = await server((_, res) => (res.writeHead(401, { "content-type": "application/json" }), res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad token" }] }))));
    expect(await sendPushNotifications({ baseUrl: s4.url }, [{ to: "ExponentPushToken[x]" }])).toEqual({ kind: "failed", error: "UNAUTHORIZED: bad token" });
    await s4.close();
    const odd = await server((_, res) => (res.writeHead(200), res.end("<html>")));
    expect((await sendPushNotifications({ baseUrl: odd.url }, [{ to: "ExponentPushToken[x]" }])).kind).toBe("retry");
    expect((await getPushReceipts({ baseUrl: odd.url }, ["a"])).kind).toBe("retry");
    await odd.close();
    const one = await server((_, res) => (res.writeHead(200), res.end(JSON.stringify({ data: { status: "ok", id: "single" } }))));
    expect(await sendPushNotifications({ baseUrl: one.url }, [{ to: "ExponentPushToken[x]" }])).toEqual({ kind: "tickets", tickets: [{ status: "ok", id: "single" }] });
    await one.close();
    expect((await sendPushNotifications({ baseUrl: "http://127.0.0.1:9", timeoutMs: 2000 }, [{ to: "ExponentPushToken[x]" }])).kind).toBe("retry");
    await expect(sendPushNotifications({ baseUrl: expo.url }, Array(101).fill({ to: "ExponentPushToken[x]" }))).rejects.toThrow(/at most 100/);
  });
});
