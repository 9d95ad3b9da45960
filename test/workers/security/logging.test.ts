// SECURITY.md "Logging": no password, token, secret or biometric sample in any log line, including the
// lines of unexpected errors (a failed query's message carries its bound values; they must not be logged).
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createApp } from "../../../src/app";
import { openDb } from "../../../src/db/client";
import { users } from "../../../src/db/schema";
import { Hono } from "hono";
import { describeError, handleError } from "../../../src/lib/handle-error";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as refreshTokenRoute } from "../../../src/routes/auth/refresh-token";
import type { BodyAt } from "../api";
import { uniqueEmail } from "../helpers";

let lines: string[] = [];
const originals = { log: console.log, warn: console.warn, error: console.error };
beforeEach(() => {
  lines = [];
  for (const k of ["log", "warn", "error"] as const) console[k] = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
});
afterEach(() => Object.assign(console, originals));

const app = createApp();
// Every request logged (ACCESS_LOG=all), so that the searches below cover the access-log lines too.
const logAll = { ...env, ACCESS_LOG: "all" };
const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
  app.request(`/backend${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(json) }, logAll);

describe("logging", () => {
  it("logs no password, access token or refresh token across register, login, a wrong login, refresh and reuse", async () => {
    const email = uniqueEmail("logs");
    const password = "correct horse battery staple 42";
    expect((await post("/register_user", { email, name: "L", surname: "G", organization: "UCY", password, role: "STUDENT" })).status).toBe(200);
    expect((await post("/login", { email, password: "a wrong password 99", organization: "UCY" })).status).toBe(401);
    // In-process (app.request), so that this isolate's console sees every line: read as the routes document them.
    const login = (await (await post("/login", { email, password, organization: "UCY" })).json()) as BodyAt<typeof loginRoute, 201>;
    const { access, refresh } = login.resource_obj;
    const rotated = (await (await post("/refresh_token", { refresh })).json()) as BodyAt<typeof refreshTokenRoute, 201>;
    // The rotated token is presented, so the login token's reuse is now a theft signal (logged as a warning).
    expect((await post("/refresh_token", { refresh: rotated.resource_obj.refresh })).status).toBe(201);
    expect((await post("/refresh_token", { refresh })).status).toBe(401);
    await app.request("/backend/student/list_exam", { headers: { authorization: `Bearer ${access}` } }, logAll);

    expect(lines.length).toBeGreaterThan(4);
    const all = lines.join("\n");
    for (const secret of [password, "a wrong password 99", access, refresh, rotated.resource_obj.refresh, env.JWT_SECRET as string]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain("refresh token reuse");
  });

  it("logs a failed query's SQL but not its bound values (password hashes, emails)", async () => {
    // Real failed statements: a NOT NULL column left empty (an unexpected error: 500), and an institution that does not
    // exist (a foreign key: a row removed meanwhile, 409); drizzle throws its query error with the values either way.
    for (const [what, status, institutionId, name] of [["not null", 500, 1, null], ["foreign key", 409, 999_999_999, "N"]] as const) {
      lines = [];
      const marker = `pbkdf2-sha256$100000$SECRETSALT$${crypto.randomUUID()}`;
      const email = uniqueEmail("victim");
      const failing = createApp();
      failing.get("/backend/failing-query", async () => {
        await openDb(inject("databaseUrl"))
          .insert(users)
          .values({ institutionId, email, name: name as string, surname: "S", role: "STUDENT", passwordHash: marker });
        return new Response("unreachable");
      });
      const res = await failing.request("/backend/failing-query", {}, env);
      expect(res.status, what).toBe(status);
      const body = JSON.stringify(await res.json());
      const logged = lines.join("\n");
      expect(logged, what).toContain("Failed query: insert into"); // the statement is there to debug with
      expect(logged, what).toContain("params: [redacted]");
      expect(logged, what).not.toContain(marker);
      expect(logged, what).not.toContain(email);
      expect(body, what).not.toContain(marker);
    }
  });

  it("a database without its migrations is a 503 naming the cause, logged for the operator (it was a 500 per request)", async () => {
    const bare = new Hono().get("/x", () => {
      throw new Error("Failed query: select ... from institutions", { cause: new Error("SQLITE_ERROR: no such table: institutions") });
    });
    bare.onError((err, c) => handleError(err, c as never));
    const res = await bare.request("/x");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/migrations have not been applied/);
    expect(lines.join("\n")).toMatch(/no such table: institutions/);
  });

  it("redacts JWT-shaped strings and keeps only stack frames", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    const err = new Error(`could not parse ${jwt}`, { cause: new Error(`nested ${jwt}`) });
    const described = describeError(err);
    expect(JSON.stringify(described)).not.toContain(jwt);
    expect(described.error).toBe("Error: could not parse [redacted token]");
    expect(described.cause).toBe("Error: nested [redacted token]");
    expect(described.stack?.split("\n").every((l) => /^\s+at /.test(l))).toBe(true);
  });

  it("access log: a line for every 5xx (with the request id), none for other answers unless ACCESS_LOG=all", async () => {
    const accessLines = () => lines.filter((l) => l.includes('"status"')).map((l) => JSON.parse(l));
    const failing = createApp();
    failing.get("/backend/always-fails", () => {
      throw new Error("boom");
    });
    const ok = await app.request("/backend/trustid_version", {}, env);
    expect(ok.status).toBe(200);
    expect((await app.request("/backend/no-such-endpoint", {}, env)).status).toBe(404);
    expect(accessLines()).toEqual([]);

    const failed = await failing.request("/backend/always-fails", {}, env);
    expect(failed.status).toBe(500);
    expect(accessLines()).toEqual([
      expect.objectContaining({ level: "error", request_id: failed.headers.get("x-request-id"), method: "GET", path: "/backend/always-fails", status: 500 }),
    ]);

    lines = [];
    await app.request("/backend/trustid_version", {}, logAll);
    await app.request("/backend/no-such-endpoint", {}, logAll);
    expect(accessLines().map((l) => [l.level, l.path, l.status])).toEqual([
      ["info", "/backend/trustid_version", 200],
      ["info", "/backend/no-such-endpoint", 404],
    ]);
  });
});
