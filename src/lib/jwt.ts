// Access and refresh tokens: HS256 JWTs signed with JWT_SECRET. The algorithm, issuer and audience are
// pinned on verification, and the token type is checked so that a refresh token is never accepted as an
// access token (or the reverse).
import { errors, jwtVerify, SignJWT } from "jose";

const ISSUER = "trustid-edge";
const AUDIENCE = "trustid-api";
const ALG = "HS256";
const enc = new TextEncoder();

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
  return jwt.sign(enc.encode(secret));
}

export type VerifyResult<T> = { ok: true; claims: T } | { ok: false; reason: "expired" | "invalid" };

export async function verifyToken<T extends AccessClaims | RefreshClaims>(
  token: string,
  typ: T["typ"],
  secret: string,
  nowMs: number,
): Promise<VerifyResult<T>> {
  try {
    const { payload } = await jwtVerify(token, enc.encode(secret), {
      algorithms: [ALG],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(nowMs),
      requiredClaims: ["sub", "exp", "iat", "jti"],
    });
    if (payload.typ !== typ) return { ok: false, reason: "invalid" };
    return { ok: true, claims: payload as unknown as T };
  } catch (e) {
    return { ok: false, reason: e instanceof errors.JWTExpired ? "expired" : "invalid" };
  }
}
