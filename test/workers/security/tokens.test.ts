// SECURITY.md "Tokens": the algorithm (HS256), issuer, audience and token type are pinned; anything else is
// a 401 in the documented envelope ({message}) on a real endpoint, through the Worker's own entry.
import { env } from "cloudflare:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { route as refreshTokenRoute } from "../../../src/routes/auth/refresh-token";
import { route as instructorListExam } from "../../../src/routes/instructor/list-exam";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { api } from "../api";
import { newSession } from "../helpers";

const secret = () => new TextEncoder().encode(env.JWT_SECRET as string);
const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** The claims of a real access token of this session, re-signed as the attacker chooses. */
function claimsOf(token: string): Record<string, unknown> {
  const p = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(p.padEnd(Math.ceil(p.length / 4) * 4, "=")));
}

async function forge(claims: Record<string, unknown>, opts: { alg?: string; key?: Uint8Array; header?: Record<string, unknown> } = {}) {
  const alg = opts.alg ?? "HS256";
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...opts.header }).sign(opts.key ?? secret());
}

/** A protected endpoint for a STUDENT. */
const asStudent = (token: string) => api(studentListExam, { headers: { authorization: `Bearer ${token}` } });

function expect401(res: { status: number; body: unknown }) {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ message: expect.any(String) });
}

describe("access tokens are pinned", () => {
  it("accepts the genuine token and an exact HS256 re-signing of its claims (the control)", async () => {
    const s = await newSession("STUDENT");
    expect((await asStudent(s.access)).status).toBe(200);
    expect((await asStudent(await forge(claimsOf(s.access)))).status).toBe(200);
  });

  it("refuses correctly signed claims of the wrong shape (a probe's sub 'abc' was a 500)", async () => {
    const s = await newSession("STUDENT");
    const c = claimsOf(s.access);
    for (const over of [{ sub: "abc" }, { sub: "0" }, { sub: "1e3" }, { sub: 7 }, { sub: "99999999999999999999" }, { iid: "1" }, { iid: 1.5 }, { role: "ADMIN" }, { inst: 3 }, { jti: 5 }, { jti: "" }, { jti: null }]) {
      expect401(await asStudent(await forge({ ...c, ...over })));
    }
  });

  it("refuses another HMAC algorithm under the same secret (HS384, HS512)", async () => {
    const s = await newSession("STUDENT");
    for (const alg of ["HS384", "HS512"]) expect401(await asStudent(await forge(claimsOf(s.access), { alg })));
  });

  it("refuses alg none, with and without a trailing signature", async () => {
    const s = await newSession("STUDENT");
    const unsecured = new UnsecuredJWT(claimsOf(s.access)).encode();
    expect401(await asStudent(unsecured));
    const [h, p] = unsecured.split(".");
    expect401(await asStudent(`${h}.${p}.${s.access.split(".")[2]}`));
    const noneUpper = `${b64url(JSON.stringify({ alg: "NONE", typ: "JWT" }))}.${p}.`;
    expect401(await asStudent(noneUpper));
  });

  it("refuses a wrong key, a tampered payload, a wrong issuer or audience, and a missing jti or exp", async () => {
    const s = await newSession("STUDENT");
    const claims = claimsOf(s.access);
    expect401(await asStudent(await forge(claims, { key: new TextEncoder().encode("x".repeat(48)) })));
    // The student's payload promoted to INSTRUCTOR, with the original signature.
    const [h, , sig] = s.access.split(".");
    const promoted = b64url(JSON.stringify({ ...claims, role: "INSTRUCTOR" }));
    expect401(await api(instructorListExam, { headers: { authorization: `Bearer ${h}.${promoted}.${sig}` } }));
    expect401(await asStudent(await forge({ ...claims, iss: "someone-else" })));
    expect401(await asStudent(await forge({ ...claims, aud: "another-api" })));
    const { jti: _jti, ...noJti } = claims;
    expect401(await asStudent(await forge(noJti)));
    const { exp: _exp, ...noExp } = claims;
    expect401(await asStudent(await forge(noExp)));
  });

  it("refuses an expired token with its own message", async () => {
    const s = await newSession("STUDENT");
    const now = Math.floor(Date.now() / 1000);
    const res = await asStudent(await forge({ ...claimsOf(s.access), iat: now - 700, exp: now - 100 }));
    expect(res).toEqual({ status: 401, body: { message: "Access token has expired" }, headers: expect.anything() });
  });

  it("never takes a refresh token as an access token, nor an access token as a refresh token", async () => {
    const s = await newSession("STUDENT");
    expect401(await asStudent(s.refresh));
    expect401(await api(refreshTokenRoute, { json: { refresh: s.access } }));
    // An access token relabelled as a refresh token (validly signed) has no family: still refused.
    expect401(await api(refreshTokenRoute, { json: { refresh: await forge({ ...claimsOf(s.access), typ: "refresh", fam: crypto.randomUUID() }) } }));
  });
});
