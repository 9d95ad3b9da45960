import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { decodeJwt, SignJWT } from "jose";
import { describe, expect, inject, it } from "vitest";
import { openDb } from "../../../src/db/client";
import { refreshTokenFamilies, refreshTokens } from "../../../src/db/schema";
import { route as refreshTokenRoute } from "../../../src/routes/auth/refresh-token";
import { REFRESH_REUSE_GRACE_MS } from "../../../src/services/accounts";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { route as trustidVersion } from "../../../src/routes/system/trustid-version";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";

const refreshWith = (refresh: string) => api(refreshTokenRoute, { json: { refresh } });
/** The tokens of a renewal that must have succeeded. */
const renewed = async (refresh: string) => bodyAt(await refreshWith(refresh), 201);

describe("POST /backend/refresh_token", () => {
  it("returns a new access token in resource_str and rotates the refresh token", async () => {
    const session = await newSession();
    const first = await refreshWith(session.refresh);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ resource_name: "token", resource_str: expect.any(String) });
    const firstBody = bodyAt(first, 201);
    expect(firstBody.resource_obj.access).toBe(firstBody.resource_str);
    expect(firstBody.resource_obj.refresh).not.toBe(session.refresh);
    const second = await refreshWith(firstBody.resource_obj.refresh);
    expect(second.status).toBe(201);
    // The new access token works.
    expect((await api(trustidVersion, { token: bodyAt(second, 201).resource_str })).status).toBe(200);
  });

  it("treats reuse of a rotated refresh token as theft and revokes the whole family", async () => {
    const session = await newSession();
    const first = await renewed(session.refresh);
    const second = await refreshWith(first.resource_obj.refresh);
    expect(second.status).toBe(201);
    const reuse = await refreshWith(session.refresh);
    expect(reuse.status).toBe(401);
    expect(reuse.body.message).toMatch(/already used/);
    // The newest token of the family is dead too.
    expect((await refreshWith(bodyAt(second, 201).resource_obj.refresh)).status).toBe(401);
  });

  it("answers two concurrent uses of one rotated token with the same successor, and the login goes on", async () => {
    // A rotated token: the login token is honoured again while the family has never seen a rotated token
    // (clients that read only resource_str; refresh-clients.test.ts). Two tabs, or a retry after a lost answer:
    // before, one got 401 and its reuse revoked the login, the other's successor with it (found by a probe).
    const session = await newSession();
    const rotated = (await renewed(session.refresh)).resource_obj.refresh;
    const results = await Promise.all([refreshWith(rotated), refreshWith(rotated)]);
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    const [a, b] = results.map((r) => bodyAt(r, 201).resource_obj.refresh);
    expect(a).toBe(b);
    // A retry a moment later gets it too; the successor then works, once.
    expect((await renewed(rotated)).resource_obj.refresh).toBe(a);
    const next = await renewed(a!);
    expect((await api(studentListExam, { token: next.resource_str })).status).toBe(200);
    expect((await renewed(next.resource_obj.refresh)).resource_obj.refresh).toEqual(expect.any(String));
  });

  it("revokes the login when a used token comes back after the grace period, or after its successor was used", async () => {
    const db = openDb(inject("databaseUrl"));
    // Its successor already presented: the chain has moved on, so the old token is a replay at once.
    const moved = await newSession();
    const r1 = (await renewed(moved.refresh)).resource_obj.refresh;
    const r2 = (await renewed(r1)).resource_obj.refresh;
    const r3 = (await renewed(r2)).resource_obj.refresh;
    expect((await refreshWith(r1)).status).toBe(401);
    expect((await refreshWith(r3)).status).toBe(401);
    // Presented again later than REFRESH_REUSE_GRACE_MS after its first use (successor unused): a replay.
    const late = await newSession();
    const s1 = (await renewed(late.refresh)).resource_obj.refresh;
    const s2 = (await renewed(s1)).resource_obj.refresh;
    await db
      .update(refreshTokens)
      .set({ createdAt: Date.now() - REFRESH_REUSE_GRACE_MS - 1000 })
      .where(eq(refreshTokens.id, String(decodeJwt(s2).jti)));
    const replay = await refreshWith(s1);
    expect(replay.status).toBe(401);
    expect(replay.body.message).toMatch(/already used/);
    expect((await refreshWith(s2)).status).toBe(401);
  });

  it("honours the login token again, with the same rotated token, until a rotated token is presented", async () => {
    const session = await newSession();
    const first = await renewed(session.refresh);
    const again = await refreshWith(session.refresh);
    expect(again.status).toBe(201);
    const againBody = bodyAt(again, 201);
    expect(againBody.resource_obj.refresh).toBe(first.resource_obj.refresh);
    expect(againBody.resource_str).toBe(againBody.resource_obj.access);
    expect((await api(studentListExam, { token: againBody.resource_str })).status).toBe(200);
  });

  it("keeps strict reuse detection for logins made before migration 0006 (used tokens without a successor row)", async () => {
    const session = await newSession();
    const rotated = (await renewed(session.refresh)).resource_obj.refresh;
    // What the migration leaves for such a login: no parent links, the family in rotation mode.
    const db = openDb(inject("databaseUrl"));
    const fam = String(decodeJwt(session.refresh).fam);
    await db.update(refreshTokens).set({ parentId: null }).where(eq(refreshTokens.familyId, fam));
    await db.update(refreshTokenFamilies).set({ rotatedAt: Date.now() }).where(eq(refreshTokenFamilies.id, fam));
    const reuse = await refreshWith(session.refresh);
    expect(reuse.status).toBe(401);
    expect(reuse.body.message).toMatch(/already used/);
    expect((await refreshWith(rotated)).status).toBe(401);
  });

  it("refuses an access token, a forged token and an expired token", async () => {
    const session = await newSession();
    expect((await refreshWith(session.access)).status).toBe(401);
    expect((await refreshWith("not.a.jwt")).status).toBe(401);
    const forged = await new SignJWT({ typ: "refresh", fam: "x", jti: "y", iid: 1 })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("1")
      .setIssuer("trustid-edge")
      .setAudience("trustid-api")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("some other secret that is long enough!!"));
    expect((await refreshWith(forged)).status).toBe(401);
    const expired = await new SignJWT({ typ: "refresh", fam: "x", jti: "y", iid: 1 })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("1")
      .setIssuer("trustid-edge")
      .setAudience("trustid-api")
      .setJti("y")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(env.JWT_SECRET as string));
    const res = await refreshWith(expired);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: "Refresh token has expired" });
  });

  it("validates its body", async () => {
    const res = await api(refreshTokenRoute, { unchecked: { access: "x" } });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400)).missing_required_fields).toEqual(["refresh"]);
    const bad = await api(refreshTokenRoute, { raw: { body: "{", contentType: "application/json" } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bodyAt(bad, 400).error_details)).toEqual(["json"]);
  });
});
