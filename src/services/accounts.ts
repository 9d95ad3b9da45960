// Accounts, login and refresh-token rotation. All SQL for these lives here.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Config } from "../env";
import type { Db } from "../db/client";
import { institutions, loginAttempts, refreshTokenFamilies, refreshTokens, users } from "../db/schema";
import { AppError } from "../lib/errors";
import { type AccessClaims, type RefreshClaims, type Role, signToken, verifyToken } from "../lib/jwt";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../lib/password";

// Lock-out after repeated failures: the 5th consecutive failure locks the identity for 1 minute, each
// further one doubles that, up to 15 minutes. A success clears the count.
const FREE_FAILURES = 4;
const BASE_LOCK_MS = 60_000;
const MAX_LOCK_MS = 15 * 60_000;
// A login (a refresh-token family) lasts at most this long, however often it is refreshed.
const MAX_SESSION_MS = 30 * 24 * 3600_000;

export type TokenPair = { access: string; refresh: string };

export async function institutionByCode(db: Db, code: string) {
  const [row] = await db.select().from(institutions).where(eq(institutions.code, code)).limit(1);
  return row;
}

async function requireInstitution(db: Db, code: string) {
  const inst = await institutionByCode(db, code);
  if (!inst) throw AppError.badField("organization", `"${code}" is not a known organization.`);
  return inst;
}

export async function registerUser(
  db: Db,
  input: { email: string; name: string; surname: string; organization: string; password: string; role: Role },
  now: number,
): Promise<{ id: number }> {
  const inst = await requireInstitution(db, input.organization);
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(users)
    .values({
      institutionId: inst.id,
      email: input.email,
      name: input.name,
      surname: input.surname,
      role: input.role,
      passwordHash,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: users.id });
  if (row) return row;
  // An account created by a course sync (no password yet) is claimed by registering with its email
  // and the student role; the conditional update makes a concurrent second claim fail.
  const [claimed] = await db
    .update(users)
    .set({ passwordHash, name: input.name, surname: input.surname, updatedAt: now })
    .where(
      and(
        eq(users.institutionId, inst.id),
        eq(users.email, input.email),
        eq(users.role, input.role),
        isNull(users.passwordHash),
      ),
    )
    .returning({ id: users.id });
  if (!claimed) throw AppError.alreadyExists("email", "A user with this email already exists in this organization.");
  return claimed;
}

export async function login(
  db: Db,
  config: Config,
  input: { email: string; password: string; organization: string },
  now: number,
): Promise<TokenPair> {
  const inst = await requireInstitution(db, input.organization);
  const key = and(eq(loginAttempts.institutionId, inst.id), eq(loginAttempts.email, input.email));
  const [attempts] = await db.select().from(loginAttempts).where(key).limit(1);
  if (attempts?.lockedUntil && attempts.lockedUntil > now) {
    throw AppError.tooManyRequests((attempts.lockedUntil - now) / 1000, "Too many failed logins; try again later");
  }

  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.institutionId, inst.id), eq(users.email, input.email)))
    .limit(1);
  // Always run the KDF, so that response time does not tell whether the account exists.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !user.passwordHash || !ok) {
    await recordFailure(db, inst.id, input.email, now);
    throw AppError.unauthorized("Invalid email, password or organization");
  }
  if (attempts) await db.delete(loginAttempts).where(key);

  const familyId = crypto.randomUUID();
  await db.insert(refreshTokenFamilies).values({
    id: familyId,
    institutionId: inst.id,
    userId: user.id,
    createdAt: now,
    expiresAt: now + MAX_SESSION_MS,
  });
  return issuePair(db, config, { userId: user.id, role: user.role, institutionId: inst.id, institutionCode: inst.code }, familyId, now, now + MAX_SESSION_MS);
}

async function recordFailure(db: Db, institutionId: number, email: string, now: number) {
  const [row] = await db
    .insert(loginAttempts)
    .values({ institutionId, email, failures: 1, updatedAt: now })
    .onConflictDoUpdate({
      target: [loginAttempts.institutionId, loginAttempts.email],
      set: { failures: sql`${loginAttempts.failures} + 1`, updatedAt: now },
    })
    .returning({ failures: loginAttempts.failures });
  const failures = row?.failures ?? 1;
  if (failures > FREE_FAILURES) {
    const lockMs = Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (failures - FREE_FAILURES - 1));
    await db
      .update(loginAttempts)
      .set({ lockedUntil: now + lockMs })
      .where(and(eq(loginAttempts.institutionId, institutionId), eq(loginAttempts.email, email)));
  }
}

async function issuePair(
  db: Db,
  config: Config,
  who: { userId: number; role: Role; institutionId: number; institutionCode: string },
  familyId: string,
  now: number,
  familyExpiresAt: number,
): Promise<TokenPair> {
  const refreshTtlMs = Math.min(config.refreshTokenTtlSeconds * 1000, familyExpiresAt - now);
  if (refreshTtlMs <= 0) throw AppError.unauthorized("This login has expired; log in again");
  const jti = crypto.randomUUID();
  await db.insert(refreshTokens).values({
    id: jti,
    institutionId: who.institutionId,
    familyId,
    createdAt: now,
    expiresAt: now + refreshTtlMs,
  });
  const access: AccessClaims = {
    sub: String(who.userId),
    role: who.role,
    inst: who.institutionCode,
    iid: who.institutionId,
    typ: "access",
  };
  const refresh: RefreshClaims = { sub: String(who.userId), iid: who.institutionId, fam: familyId, jti, typ: "refresh" };
  return {
    access: await signToken(access, config.jwtSecret, now, config.accessTokenTtlSeconds),
    refresh: await signToken(refresh, config.jwtSecret, now, Math.floor(refreshTtlMs / 1000)),
  };
}

/** Rotates a refresh token. Presenting one that was already rotated revokes its whole family. */
export async function refresh(db: Db, config: Config, token: string, now: number): Promise<TokenPair> {
  const verified = await verifyToken<RefreshClaims>(token, "refresh", config.jwtSecret, now);
  if (!verified.ok) {
    throw AppError.unauthorized(verified.reason === "expired" ? "Refresh token has expired" : "Refresh token is invalid");
  }
  const { jti, fam } = verified.claims;
  const [family] = await db.select().from(refreshTokenFamilies).where(eq(refreshTokenFamilies.id, fam)).limit(1);
  if (!family || family.revokedAt !== null) throw AppError.unauthorized("Refresh token has been revoked");

  // Claiming the token is one conditional UPDATE, so two concurrent uses cannot both succeed.
  const claimed = await db
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(refreshTokens.id, jti), eq(refreshTokens.familyId, fam), isNull(refreshTokens.usedAt)))
    .returning({ id: refreshTokens.id });
  if (claimed.length === 0) {
    await db
      .update(refreshTokenFamilies)
      .set({ revokedAt: now, revokedReason: "refresh token reuse" })
      .where(eq(refreshTokenFamilies.id, fam));
    console.warn(JSON.stringify({ level: "warn", msg: "refresh token reuse; family revoked", family: fam, user: family.userId }));
    throw AppError.unauthorized("Refresh token was already used; this login has been revoked, log in again");
  }

  const [row] = await db
    .select({ user: users, institutionCode: institutions.code })
    .from(users)
    .innerJoin(institutions, eq(institutions.id, users.institutionId))
    .where(eq(users.id, family.userId))
    .limit(1);
  if (!row) throw AppError.unauthorized("The account no longer exists");
  const who = { userId: row.user.id, role: row.user.role, institutionId: row.user.institutionId, institutionCode: row.institutionCode };
  return issuePair(db, config, who, fam, now, family.expiresAt);
}
