import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { route as trustidVersion } from "../../../src/routes/system/trustid-version";
import { api, raw } from "../api";

describe("error envelopes", () => {
  it("answers 404 with resource_name and resource_str for an unknown path", async () => {
    const res = await raw("/backend/no_such_endpoint");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: expect.any(String), resource_name: "endpoint", resource_str: "/backend/no_such_endpoint" });
  });

  it("hides internals of an unexpected error behind a request id that the log carries", async () => {
    const app = createApp();
    app.get("/backend/boom", () => {
      throw new Error("secret internal detail");
    });
    const logged: string[] = [];
    const original = console.error;
    console.error = (line: string) => logged.push(line);
    try {
      const res = await app.request("/backend/boom", {}, env);
      const body = (await res.json()) as any;
      expect(res.status).toBe(500);
      expect(Object.keys(body).sort()).toEqual(["message", "request_id"]);
      expect(JSON.stringify(body)).not.toContain("secret internal detail");
      expect(res.headers.get("x-request-id")).toBe(body.request_id);
      expect(logged.some((l) => l.includes(body.request_id) && l.includes("secret internal detail"))).toBe(true);
    } finally {
      console.error = original;
    }
  });

  it("answers 503, not 500, when the deployment lacks a secret", async () => {
    const app = createApp();
    const res = await app.request("/backend/trustid_version", {}, { ...env, JWT_SECRET: undefined });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: expect.any(String), request_id: expect.any(String) });
  });

  it("echoes a well-formed X-Request-Id and sets security headers", async () => {
    const res = await api(trustidVersion, { headers: { "x-request-id": "client-req-12345" } });
    expect(res.headers.get("x-request-id")).toBe("client-req-12345");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("request bodies the answer did not need", () => {
  /** A streamed body of `total` bytes that counts how much of it the server pulled. */
  const countedBody = (total: number) => {
    let pulled = 0;
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        controller.enqueue(chunk);
        pulled += chunk.byteLength;
      },
    });
    return { stream, pulled: () => pulled };
  };

  it("are read to their end before the answer (413 while reading, 401 before), up to 100 MiB", async () => {
    const { SELF } = await import("cloudflare:test");
    for (const [path, status] of [["/backend/login", 413], ["/backend/student/checkup_process", 401], ["/api/v3/exams", 413]] as const) {
      const body = countedBody(2 * 1024 * 1024);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (path.startsWith("/api")) headers.accept = "application/vnd.procwise.v3";
      const res = await SELF.fetch(`http://trustid.test${path}`, { method: "POST", headers, body: body.stream });
      expect(res.status, path).toBe(status);
      await res.arrayBuffer();
      // wrangler dev's proxy broke when an answer came while the body was still arriving (a 503 or a hung next request).
      expect(body.pulled(), path).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    }
  });
});

describe("request bodies that break off", () => {
  it("are a 400 saying so, not an unexpected error logged as a 500 (a desktop app whose network dropped mid-upload)", async () => {
    // Called on the app itself: through SELF the runtime hands the Worker a cut stream as a shorter, complete body.
    const brokenBody = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"email": "a@b.c", "pass'));
          controller.error(new Error("Network connection lost."));
        },
      });
    const logged: string[] = [];
    const original = console.error;
    console.error = (line: string) => logged.push(line);
    try {
      const request = new Request("http://trustid.test/backend/login", { method: "POST", headers: { "content-type": "application/json" }, body: brokenBody(), duplex: "half" } as RequestInit);
      const res = await createApp().request(request, {}, env);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/broke off before its end/);
      expect(logged).toEqual([]);
    } finally {
      console.error = original;
    }
  });

  it("a body shorter than its Content-Length ended early: a 400, not taken as whole (a probe's cut form lost process names)", async () => {
    const body = new TextEncoder().encode('{"email": "a@b.c"}');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body);
        controller.close();
      },
    });
    const request = new Request("http://trustid.test/backend/login", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(body.byteLength + 50) },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(request.headers.get("content-length")).toBe(String(body.byteLength + 50));
    const res = await createApp().request(request, {}, env);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/broke off before its end/);
  });
});
