// The bounded waits of lib/overload.ts and db/client.ts, without a runtime: a dependency that hangs, fails
// or answers 5xx becomes a 503 AppError with Retry-After (the workers tests check the HTTP side).
import { describe, expect, it } from "vitest";
import { DatabaseUnavailable, databaseFetch } from "../../src/db/client";
import { AppError, unavailableCause } from "../../src/lib/errors";
import { withTimeout } from "../../src/lib/overload";

describe("withTimeout", () => {
  it("passes a value or an error through when in time", async () => {
    await expect(withTimeout(Promise.resolve(7), 100, "slow")).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("boom")), 100, "slow")).rejects.toThrow("boom");
  });
  it("is a 503 with Retry-After when the promise does not settle", async () => {
    const t0 = Date.now();
    const err = await withTimeout(new Promise(() => {}), 50, "Face analysis is taking too long", 4).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 503, message: "Face analysis is taking too long", headers: { "Retry-After": "4" } });
  });
});

describe("databaseFetch", () => {
  const answer = (status: number) => (async () => new Response("{}", { status })) as unknown as typeof fetch;
  it("passes answers through, also SQL-level errors (4xx, 500)", async () => {
    expect((await databaseFetch(100, answer(200))("http://db/v2/pipeline")).status).toBe(200);
    expect((await databaseFetch(100, answer(400))("http://db/v2/pipeline")).status).toBe(400);
    expect((await databaseFetch(100, answer(500))("http://db/v2/pipeline")).status).toBe(500);
  });
  it("turns 502/503/504, network errors and timeouts into DatabaseUnavailable (503, Retry-After)", async () => {
    for (const status of [502, 503, 504]) await expect(databaseFetch(100, answer(status))("http://db")).rejects.toBeInstanceOf(DatabaseUnavailable);
    const refused = (async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof fetch;
    await expect(databaseFetch(100, refused)("http://db")).rejects.toBeInstanceOf(DatabaseUnavailable);
    const hangs = ((_: unknown, init?: RequestInit) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)))) as unknown as typeof fetch;
    const err = await databaseFetch(50, hangs)("http://db").catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailable);
    expect(err.headers["Retry-After"]).toBe("5");
    expect(String(err.cause)).toMatch(/within 50 ms/);
  });
  it("turns a refusal of the credentials (401/403: a wrong or expired DATABASE_AUTH_TOKEN) into DatabaseUnavailable naming the setting", async () => {
    for (const status of [401, 403]) {
      const err = await databaseFetch(100, answer(status))("http://db").catch((e) => e);
      expect(err).toBeInstanceOf(DatabaseUnavailable);
      expect(String(err.cause)).toMatch(/refused the credentials.*DATABASE_AUTH_TOKEN/);
    }
  });
  it("reads the answer under the same deadline: one still arriving when it passes is DatabaseUnavailable, not an unexplained error", async () => {
    const stalls = (async (_: unknown, init?: RequestInit) => {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"results": ['));
          init?.signal?.addEventListener("abort", () => controller.error(init.signal!.reason));
        },
      });
      return new Response(body, { status: 200 });
    }) as unknown as typeof fetch;
    const err = await databaseFetch(50, stalls)("http://db").catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailable);
    expect(String(err.cause)).toMatch(/within 50 ms/);
  });
  it("is found behind the wrappers libSQL and drizzle put around it", () => {
    const inner = new DatabaseUnavailable("unreachable");
    const wrapped = new Error("Failed query", { cause: new Error("libsql", { cause: inner }) });
    expect(unavailableCause(wrapped)).toBe(inner);
    expect(unavailableCause(new Error("bug"))).toBeNull();
  });
});
