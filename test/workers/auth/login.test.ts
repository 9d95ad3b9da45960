import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { api, bodyAt, raw } from "../api";
import { expect400Shape, registerUser } from "../helpers";
import { eq } from "drizzle-orm";
import { loginAttempts } from "../../../src/db/schema";
import { db } from "../exams/support";

describe("POST /backend/login", () => {
  it("returns 201 with access and refresh tokens carrying role and institution", async () => {
    const user = await registerUser({ role: "INSTRUCTOR", organization: "UC" });
    const res = await api(loginRoute, { json: { email: user.email, password: user.password, organization: "UC" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ message: expect.any(String), resource_name: "token" });
    const { access, refresh } = bodyAt(res, 201).resource_obj;
    const claims = decodeJwt(access);
    expect(claims).toMatchObject({ role: "INSTRUCTOR", inst: "UC", typ: "access", iss: "trustid-edge", aud: "trustid-api" });
    expect(claims.exp! - claims.iat!).toBe(600); // access tokens live minutes
    expect(decodeJwt(refresh)).toMatchObject({ typ: "refresh" });
  });

  it("gives the same 401 for a wrong password, an unknown email and the wrong organization", async () => {
    const user = await registerUser();
    const attempts = [
      { email: user.email, password: "wrong password", organization: "UCY" },
      { email: `nobody-${user.email}`, password: user.password, organization: "UCY" },
      { email: user.email, password: user.password, organization: "UPAT" },
      { email: user.email, password: user.password, organization: "ucy" }, // a code that does not exist: the same 401
    ];
    for (const json of attempts) {
      const res = await api(loginRoute, { json });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: "Invalid email, password or organization" });
    }
  });

  it("locks an identity after repeated failures, even for the right password, with Retry-After", async () => {
    const user = await registerUser();
    for (let i = 0; i < 5; i++) {
      expect((await api(loginRoute, { json: { email: user.email, password: `wrong ${i}`, organization: "UCY" } })).status).toBe(401);
    }
    const res = await api(loginRoute, { json: { email: user.email, password: user.password, organization: "UCY" } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.body).toEqual({ message: expect.any(String) });
  });

  it("checks one of the wrong passwords sent at once when a lock has ended, not all of them (a probe's 8 were)", async () => {
    const user = await registerUser();
    const json = (i: number) => ({ email: user.email, password: `wrong ${i}`, organization: "UCY" });
    for (let i = 0; i < 5; i++) expect((await api(loginRoute, { json: json(i) })).status).toBe(401);
    expect((await api(loginRoute, { json: json(5) })).status).toBe(429);
    // The minute's lock ends.
    await db().update(loginAttempts).set({ lockedUntil: Date.now() - 1 }).where(eq(loginAttempts.email, user.email));
    const statuses = (await Promise.all(Array.from({ length: 8 }, (_, i) => api(loginRoute, { json: json(10 + i) })))).map((r) => r.status).sort();
    expect(statuses).toEqual([401, 429, 429, 429, 429, 429, 429, 429]);
    // The one checked was the 6th failure: locked for 2 minutes.
    const [record] = await db().select().from(loginAttempts).where(eq(loginAttempts.email, user.email));
    expect(record).toMatchObject({ failures: 6, lockedUntil: expect.any(Number) });
    expect(record!.lockedUntil! - Date.now()).toBeGreaterThan(100_000);
  });

  it("lets right passwords sent at once through on a clean record", async () => {
    const user = await registerUser();
    const json = { email: user.email, password: user.password, organization: "UCY" };
    const statuses = (await Promise.all(Array.from({ length: 6 }, () => api(loginRoute, { json })))).map((r) => r.status);
    expect(statuses).toEqual(Array(6).fill(201));
  });

  it("lets right passwords sent at once through after a few failures (a probe's third got 'Too many failed logins')", async () => {
    const user = await registerUser();
    for (let i = 0; i < 3; i++) expect((await api(loginRoute, { json: { email: user.email, password: `wrong ${i}`, organization: "UCY" } })).status).toBe(401);
    const json = { email: user.email, password: user.password, organization: "UCY" };
    expect((await Promise.all(Array.from({ length: 3 }, () => api(loginRoute, { json })))).map((r) => r.status)).toEqual([201, 201, 201]);
  });

  it("clears the count on a success", async () => {
    const user = await registerUser();
    for (let i = 0; i < 4; i++) expect((await api(loginRoute, { json: { email: user.email, password: `wrong ${i}`, organization: "UCY" } })).status).toBe(401);
    expect((await api(loginRoute, { json: { email: user.email, password: user.password, organization: "UCY" } })).status).toBe(201);
    for (let i = 0; i < 4; i++) expect((await api(loginRoute, { json: { email: user.email, password: `wrong ${i}`, organization: "UCY" } })).status).toBe(401);
    expect((await api(loginRoute, { json: { email: user.email, password: user.password, organization: "UCY" } })).status).toBe(201);
  });

  it("throttles unknown emails exactly like known ones", async () => {
    const json = { email: `ghost-${crypto.randomUUID()}@example.org`, password: "whatever password", organization: "UCY" };
    for (let i = 0; i < 5; i++) expect((await api(loginRoute, { json })).status).toBe(401);
    expect((await api(loginRoute, { json })).status).toBe(429);
  });

  it("validates its body", async () => {
    const res = await api(loginRoute, { unchecked: { email: 7 } });
    expect(res.status).toBe(400);
    const body = expect400Shape(bodyAt(res, 400));
    expect(body.missing_required_fields.sort()).toEqual(["organization", "password"]);
    expect(body.bad_formatted_fields).toEqual(["email"]);
  });

  it("refuses a wrong content type and a wrong method", async () => {
    expect((await api(loginRoute, { raw: { body: "x", contentType: "text/plain" } })).status).toBe(415);
    expect((await raw("/backend/login", { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(405);
  });
});
