// Access and refresh tokens: HS256 JWTs signed with JWT_SECRET. The algorithm, issuer and audience are
// pinned on verification, and the token type is checked so that a refresh token is never accepted as an
// access token (or the reverse).
import { base64url, errors, jwtVerify, SignJWT } from "jose";

const ISSUER = "trustid-edge";
const AUDIENCE = "trustid-api";
const ALG = "HS256";
const enc = new TextEncoder();

// The HMAC key imported once per secret and isolate: importing it on every sign/verify (what jose does with raw
// bytes) costs a WebCrypto call per request on the hottest path (every authenticated request verifies a token).
const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
  }
  return key;
}

export type Role = "INSTRUCTOR" | "STUDENT";

export type AccessClaims = { sub: string; role: Role; inst: string; iid: number; typ: "access" };
export type RefreshClaims = { sub: string; iid: number; fam: string; jti: string; typ: "refresh" };

export async function signToken(
  claims: AccessClaims | RefreshClaims,
  secret: string,
  nowMs: number,
  ttlSeconds: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: ALG, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds);
  if ("jti" in claims) jwt.setJti(claims.jti);
  else jwt.setJti(crypto.randomUUID());
  return jwt.sign(await hmacKey(secret));
}

export type VerifyResult<T> = { ok: true; claims: T } | { ok: false; reason: "expired" | "invalid" };

/**
 * Only the exact string this service signed: three base64url segments without padding whose unused low bits are 0.
 * Base64 decoders ignore padding and those bits, so `token + "="` or a changed last character verified as the same
 * token, and anything keyed on the token's text (reuse detection by string, deny lists, log matching) saw another.
 */
function isCanonicalCompact(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  try {
    return parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p) && base64url.encode(base64url.decode(p)) === p);
  } catch {
    return false;
  }
}

/**
 * The claims every caller relies on, of the types they are used as: a correctly signed token of another shape (a
 * probe's `sub: "abc"` reached the database as NaN: a 500) is as invalid as a badly signed one.
 */
function wellFormedClaims(p: Record<string, unknown>): boolean {
  const positiveInteger = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
  if (typeof p.sub !== "string" || !/^[1-9][0-9]{0,15}$/.test(p.sub) || !positiveInteger(Number(p.sub)) || !positiveInteger(p.iid)) return false;
  if (typeof p.jti !== "string" || p.jti === "") return false;
  if (p.typ === "access") return (p.role === "STUDENT" || p.role === "INSTRUCTOR") && typeof p.inst === "string";
  return typeof p.fam === "string";
}

export async function verifyToken<T extends AccessClaims | RefreshClaims>(
  token: string,
  typ: T["typ"],
  secret: string,
  nowMs: number,
): Promise<VerifyResult<T>> {
  if (!isCanonicalCompact(token)) return { ok: false, reason: "invalid" };
  try {
    const { payload } = await jwtVerify(token, await hmacKey(secret), {
      algorithms: [ALG],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(nowMs),
      requiredClaims: ["sub", "exp", "iat", "jti"],
    });
    if (payload.typ !== typ || !wellFormedClaims(payload)) return { ok: false, reason: "invalid" };
    return { ok: true, claims: payload as unknown as T };
  } catch (e) {
    return { ok: false, reason: e instanceof errors.JWTExpired ? "expired" : "invalid" };
  }
}
