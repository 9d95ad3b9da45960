// The access-token guard used by every protected endpoint: 401 for who-are-you, 403 for not-allowed.
import { env } from "cloudflare:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { requireRole } from "../../../src/middleware/auth";
import { newSession } from "../helpers";

const app = createApp();
app.get("/probe/instructor-only", requireRole("INSTRUCTOR"), (c) => c.json({ message: "ok", resource_name: "probe", resource_obj: c.get("caller") }));

const probe = async (authorization?: string) => {
  const res = await app.request("/probe/instructor-only", { headers: authorization ? { authorization } : {} }, env);
  return { status: res.status, body: (await res.json()) as any };
};

const sign = (claims: Record<string, unknown>, expSecondsFromNow: number, secret = env.JWT_SECRET as string) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("1")
    .setIssuer("trustid-edge")
    .setAudience("trustid-api")
    .setJti(crypto.randomUUID())
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSecondsFromNow)
    .sign(new TextEncoder().encode(secret));

describe("access tokens", () => {
  it("lets the right role in, with Bearer or a bare token", async () => {
    const { access } = await newSession("INSTRUCTOR", "UPAT");
    const res = await probe(`Bearer ${access}`);
    expect(res.status).toBe(200);
    expect(res.body.resource_obj).toMatchObject({ role: "INSTRUCTOR", institutionCode: "UPAT" });
    expect((await probe(access)).status).toBe(200);
  });

  it("answers 403 for the wrong role", async () => {
    const { access } = await newSession("STUDENT");
    const res = await probe(`Bearer ${access}`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ message: expect.any(String) });
  });

  it("answers 401 without a token, for garbage, a refresh token, an unsigned token and an expired token", async () => {
    const { refresh } = await newSession("INSTRUCTOR");
    expect(await probe()).toEqual({ status: 401, body: { message: "Authentication credentials were not provided" } });
    expect((await probe("Bearer garbage")).status).toBe(401);
    expect((await probe(`Bearer ${refresh}`)).status).toBe(401);
    const unsecured = new UnsecuredJWT({ typ: "access", role: "INSTRUCTOR", iid: 1, inst: "UC" })
      .setSubject("1")
      .setIssuer("trustid-edge")
      .setAudience("trustid-api")
      .setExpirationTime("1h")
      .encode();
    expect((await probe(`Bearer ${unsecured}`)).status).toBe(401);
    const wrongKey = await sign({ typ: "access", role: "INSTRUCTOR", iid: 1, inst: "UC" }, 600, "x".repeat(40));
    expect((await probe(`Bearer ${wrongKey}`)).status).toBe(401);
    const expired = await sign({ typ: "access", role: "INSTRUCTOR", iid: 1, inst: "UC" }, -60);
    expect(await probe(`Bearer ${expired}`)).toEqual({ status: 401, body: { message: "Access token has expired" } });
  });

  it("accepts only the exact text it signed: padding or a changed unused bit in the signature is a 401", async () => {
    const { access } = await newSession("INSTRUCTOR");
    expect((await probe(`Bearer ${access}`)).status).toBe(200);
    expect((await probe(`Bearer ${access}=`)).status).toBe(401);
    // HS256's 32-byte signature fills 43 base64url characters; the last one carries 4 unused bits.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(access.at(-1)!);
    const sameBytes = access.slice(0, -1) + alphabet[last ^ 1];
    expect((await probe(`Bearer ${sameBytes}`)).status).toBe(401);
  });
});
