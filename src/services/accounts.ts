// Accounts, login and refresh-token rotation. All SQL for these lives here.
import { and, eq, gte, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Config } from "../env";
import type { Db } from "../db/client";
import { institutions, invitations, loginAttempts, refreshTokenFamilies, refreshTokens, users } from "../db/schema";
import { AppError } from "../lib/errors";
import { type AccessClaims, type RefreshClaims, type Role, signToken, verifyToken } from "../lib/jwt";
import { consumeInvitation, retireInvitations } from "./invitations";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../lib/password";

// Lock-out after repeated failures: the 5th consecutive failure locks the identity for 1 minute, each
// further one doubles that, up to 15 minutes. A success clears the count.
const FREE_FAILURES = 4;
const BASE_LOCK_MS = 60_000;
const MAX_LOCK_MS = 15 * 60_000;
// A login (a refresh-token family) lasts at most this long, however often it is refreshed.
const MAX_SESSION_MS = 30 * 24 * 3600_000;

export type TokenPair = { access: string; refresh: string };

/** Failed-login counters untouched this long (and not locking now) are deleted by the scheduled run. */
export const LOGIN_ATTEMPTS_KEPT_MS = 24 * 3600_000;

/**
 * Deletes failed-login counters of a day ago or older that lock nothing now: anyone can create one for any address
 * (a failed login), so without this the table only grew, and an erased student's address came back in it with the
 * next failed login and stayed (a probe, 2026-12-06). The lock-out escalation starts again after a quiet day.
 */
export async function pruneLoginAttempts(db: Db, now: number): Promise<number> {
  const gone = await db
    .delete(loginAttempts)
    .where(and(lt(loginAttempts.updatedAt, now - LOGIN_ATTEMPTS_KEPT_MS), or(isNull(loginAttempts.lockedUntil), lt(loginAttempts.lockedUntil, now))));
  return gone.rowsAffected;
}

/** Refresh-token families and invitations expired this long ago are deleted by the scheduled run. */
export const EXPIRED_LOGIN_RECORDS_KEPT_MS = 24 * 3600_000;

/**
 * Deletes refresh-token families (with their tokens) and invitations that expired a day ago or more: they open nothing
 * any more, and were login history kept until the account was erased (a probe found families 60-83 days past expiry
 * still there). Returns the rows deleted, in one batch.
 */
export async function pruneExpiredLoginRecords(db: Db, now: number): Promise<number> {
  const before = now - EXPIRED_LOGIN_RECORDS_KEPT_MS;
  const expiredFamilies = db.select({ id: refreshTokenFamilies.id }).from(refreshTokenFamilies).where(lt(refreshTokenFamilies.expiresAt, before));
  const [tokens, families, invites] = await db.batch([
    db.delete(refreshTokens).where(inArray(refreshTokens.familyId, expiredFamilies)),
    db.delete(refreshTokenFamilies).where(lt(refreshTokenFamilies.expiresAt, before)),
    db.delete(invitations).where(lt(invitations.expiresAt, before)),
  ]);
  return tokens.rowsAffected + families.rowsAffected + invites.rowsAffected;
}

export async function institutionByCode(db: Db, code: string) {
  const [row] = await db.select().from(institutions).where(eq(institutions.code, code)).limit(1);
  return row;
}

/** The zone in which the institution's clients' local date-times are read (migration 0009; default UTC). */
export async function institutionTimeZone(db: Db, institutionId: number): Promise<string> {
  const [row] = await db.select({ timeZone: institutions.timeZone }).from(institutions).where(eq(institutions.id, institutionId)).limit(1);
  return row?.timeZone ?? "UTC";
}

async function requireInstitution(db: Db, code: string) {
  const inst = await institutionByCode(db, code);
  if (!inst) throw AppError.badField("organization", `"${code}" is not a known organization.`);
  return inst;
}

/**
 * Creates an account, or claims an invited one (created by a course sync or a partner session, no password
 * yet). Claiming needs the invitation token sent to the student (services/invitations.ts): knowing the
 * email is not enough. The claim keeps the same user row, so enrolments, approvals and everything else
 * recorded for the invited account stay.
 */
export async function registerUser(
  db: Db,
  input: { email: string; name: string; surname: string; organization: string; password: string; role: Role; invitationToken?: string | undefined },
  now: number,
): Promise<{ id: number; claimed: boolean }> {
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
  if (row) return { ...row, claimed: false };
  const exists = () => AppError.alreadyExists("email", "A user with this email already exists in this organization.");
  const [invited] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.institutionId, inst.id), eq(users.email, input.email), eq(users.role, input.role), isNull(users.passwordHash)))
    .limit(1);
  if (!invited) throw exists();
  if (!input.invitationToken) {
    throw AppError.validation({
      missing: ["invitation_token"],
      details: { invitation_token: ["This account was created by an invitation: give the invitation token that was sent to you."] },
    });
  }
  if (!(await consumeInvitation(db, inst.id, invited.id, input.invitationToken, now))) {
    throw AppError.badField("invitation_token", "This invitation token is not valid for this account, was already used, or has expired.");
  }
  // The conditional update makes a concurrent second claim (with another token) fail.
  const [claimed] = await db
    .update(users)
    .set({ passwordHash, name: input.name, surname: input.surname, updatedAt: now })
    .where(and(eq(users.id, invited.id), eq(users.institutionId, inst.id), isNull(users.passwordHash)))
    .returning({ id: users.id });
  if (!claimed) throw exists();
  await retireInvitations(db, inst.id, claimed.id, now);
  return { ...claimed, claimed: true };
}

export async function login(
  db: Db,
  config: Config,
  input: { email: string; password: string; organization: string },
  now: number,
): Promise<TokenPair> {
  // One round trip counts this attempt in the identity's failed-login record when it has one (below) and reads the
  // institution, the account and that record (the database may be far from the edge: docs/limits.md "Edge
  // distance"); one batch writes the new login.
  const [counted, [found]] = await db.batch([
    countAttemptAgainstRecord(db, input.organization, input.email, now),
    db
      .select({ inst: institutions, user: users, attempts: loginAttempts })
      .from(institutions)
      .leftJoin(users, and(eq(users.institutionId, institutions.id), eq(users.email, input.email)))
      .leftJoin(loginAttempts, and(eq(loginAttempts.institutionId, institutions.id), eq(loginAttempts.email, input.email)))
      .where(eq(institutions.code, input.organization))
      .limit(1),
  ]);
  // The same 401 as any other failed login (a probe's "ucy" got a 400 naming it unknown; README promises one 401).
  // Without the password's KDF: institution codes are not secret, and a burst of logins to a made-up code must not
  // cost a PBKDF2 each.
  if (!found) throw AppError.unauthorized("Invalid email, password or organization");
  const { inst, user, attempts } = found;
  const precounted = counted.length > 0;
  if (!precounted && attempts?.lockedUntil && attempts.lockedUntil > now) {
    throw AppError.tooManyRequests((attempts.lockedUntil - now) / 1000, "Too many failed logins; try again later");
  }
  // Always run the KDF, so that response time does not tell whether the account exists.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !user.passwordHash || !ok) {
    if (!precounted) await recordFailure(db, inst.id, input.email, now);
    throw AppError.unauthorized("Invalid email, password or organization");
  }

  const familyId = crypto.randomUUID();
  const who: Who = { userId: user.id, role: user.role, institutionId: inst.id, institutionCode: inst.code };
  const row = newRefreshRow(config, who, familyId, null, now, now + MAX_SESSION_MS);
  const family = db.insert(refreshTokenFamilies).values({ id: familyId, institutionId: inst.id, userId: user.id, createdAt: now, expiresAt: now + MAX_SESSION_MS });
  const token = db.insert(refreshTokens).values(row);
  if (attempts) {
    await db.batch([db.delete(loginAttempts).where(and(eq(loginAttempts.institutionId, inst.id), eq(loginAttempts.email, input.email))), family, token]);
  } else {
    await db.batch([family, token]);
  }
  return { access: await accessFor(config, who, now), refresh: await refreshJwtOf(config, who, familyId, row) };
}

/**
 * A failed-login record's columns after one more failure: the count, and the lock the new count earns (the 5th
 * consecutive failure 1 minute, each further one twice the last, up to 15), or the lock as it was.
 */
const oneMoreFailure = (now: number) => {
  const failures = sql`${loginAttempts.failures} + 1`;
  const lockMs = sql`case when ${failures} > ${FREE_FAILURES} then min(${MAX_LOCK_MS}, ${BASE_LOCK_MS} << min(${failures} - ${FREE_FAILURES} - 1, 10)) end`;
  return { failures, updatedAt: now, lockedUntil: sql`coalesce(${now} + ${lockMs}, ${loginAttempts.lockedUntil})` };
};

/**
 * For an identity whose next failure would lock it (FREE_FAILURES on record), counts this attempt as a failure before its password is checked and
 * sets the lock that would earn (a success deletes the record). Answers no row when the identity is locked now, or
 * has fewer failures on record (those are recorded after the check, recordFailure: right passwords sent at once must
 * not lock each other out). Counted only afterwards, as before, 8 wrong passwords sent at once after a
 * lock ended were all checked (a probe, 2026-12-07): now the first takes the place and sets the next lock, and the
 * others find it. One statement, so concurrent attempts are counted one after another.
 */
function countAttemptAgainstRecord(db: Db, organization: string, email: string, now: number) {
  const a = loginAttempts;
  return db
    .update(a)
    .set(oneMoreFailure(now))
    .where(
      and(
        eq(a.institutionId, sql`(select ${institutions.id} from ${institutions} where ${eq(institutions.code, organization)})`),
        eq(a.email, email),
        // Only once the next failure would lock: before that, right passwords sent at once were told to wait a minute
        // for locks their own successes then cleared (a probe: 3 failures, then 3 right at once: one 429).
        gte(a.failures, FREE_FAILURES),
        or(isNull(a.lockedUntil), lte(a.lockedUntil, now)),
      ),
    )
    .returning({ failures: a.failures });
}

async function recordFailure(db: Db, institutionId: number, email: string, now: number) {
  // Upserted: a concurrent failure may have recorded the first one meanwhile.
  await db
    .insert(loginAttempts)
    .values({ institutionId, email, failures: 1, updatedAt: now })
    .onConflictDoUpdate({
      target: [loginAttempts.institutionId, loginAttempts.email],
      set: oneMoreFailure(now),
    });
}

type Who = { userId: number; role: Role; institutionId: number; institutionCode: string };

const accessFor = (config: Config, who: Who, now: number) =>
  signToken(
    { sub: String(who.userId), role: who.role, inst: who.institutionCode, iid: who.institutionId, typ: "access" } satisfies AccessClaims,
    config.jwtSecret,
    now,
    config.accessTokenTtlSeconds,
  );

/**
 * The JWT of a stored refresh-token row. Signed from the row's own times, so signing the same row again
 * gives the very same token (HS256 is deterministic): that is how a honoured login token returns the
 * successor it was given the first time.
 */
const refreshJwtOf = (config: Config, who: Who, familyId: string, row: { id: string; createdAt: number; expiresAt: number }) =>
  signToken(
    { sub: String(who.userId), iid: who.institutionId, fam: familyId, jti: row.id, typ: "refresh" } satisfies RefreshClaims,
    config.jwtSecret,
    row.createdAt,
    Math.floor((row.expiresAt - row.createdAt) / 1000),
  );

/**
 * A refresh token presented again this soon after its first use, while its successor is unused, gets that same
 * successor instead of revoking the login: concurrent refreshes (two tabs) and retries after a lost answer. A
 * thief replaying it this soon gets the client's own successor, and whichever of the two presents that successor
 * second, later than this, revokes the login (SECURITY.md, "Refresh tokens").
 */
export const REFRESH_REUSE_GRACE_MS = 30_000;

/** A new refresh-token row (not yet stored): the lifetime is capped by the login's. */
function newRefreshRow(config: Config, who: Who, familyId: string, parentId: string | null, now: number, familyExpiresAt: number) {
  const refreshTtlMs = Math.min(config.refreshTokenTtlSeconds * 1000, familyExpiresAt - now);
  if (refreshTtlMs <= 0) throw AppError.unauthorized("This login has expired; log in again");
  return { id: crypto.randomUUID(), institutionId: who.institutionId, familyId, parentId, createdAt: now, expiresAt: now + refreshTtlMs };
}

/** The pair /login answers: the family's login token has no parent. */
/**
 * Exchanges a refresh token for a new access token and its successor refresh token.
 *
 * Reuse detection, and the one exception to it (SECURITY.md, "Refresh tokens"):
 * - The first use of a token issues its successor. Presenting a rotated token (one issued here) marks the
 *   family as following rotation (`rotated_at`).
 * - Presenting a token again revokes the whole family (theft: the thief or the victim is replaying it),
 *   with two exceptions, both answered with a new access token and *the same* successor as the first time
 *   (nothing new is stored, so no second chain of tokens exists):
 *   - the login token of a family that has never seen a rotated token. That is what a client that reads only
 *     `resource_str` (as the spec describes the response) does every few minutes. Once anyone presents that
 *     successor (or any rotated token), the login token is dead like any other used token.
 *   - any token presented again within REFRESH_REUSE_GRACE_MS of its first use while its successor is still
 *     unused: two tabs refreshing at once, or a retry after a lost answer. Before, the second request revoked
 *     the login, the first one's successor with it, and the student was logged out at the next refresh.
 */
export async function refresh(db: Db, config: Config, token: string, now: number): Promise<TokenPair> {
  const verified = await verifyToken<RefreshClaims>(token, "refresh", config.jwtSecret, now);
  if (!verified.ok) {
    throw AppError.unauthorized(verified.reason === "expired" ? "Refresh token has expired" : "Refresh token is invalid");
  }
  const { jti, fam } = verified.claims;
  // One round trip: the family, the presented token and the account (the database may be far from the edge).
  // Flat columns for the token: both of its nullable fields are null on an unused login token.
  const [found] = await db
    .select({
      family: refreshTokenFamilies,
      presentedId: refreshTokens.id,
      parentId: refreshTokens.parentId,
      usedAt: refreshTokens.usedAt,
      user: users,
      institutionCode: institutions.code,
    })
    .from(refreshTokenFamilies)
    .leftJoin(refreshTokens, and(eq(refreshTokens.id, jti), eq(refreshTokens.familyId, refreshTokenFamilies.id)))
    .leftJoin(users, eq(users.id, refreshTokenFamilies.userId))
    .leftJoin(institutions, eq(institutions.id, users.institutionId))
    .where(eq(refreshTokenFamilies.id, fam))
    .limit(1);
  const family = found?.family;
  if (!found || !family || family.revokedAt !== null) throw AppError.unauthorized("Refresh token has been revoked");
  if (found.presentedId === null) throw AppError.unauthorized("Refresh token has been revoked");
  const presented = { parentId: found.parentId, usedAt: found.usedAt };
  const row = found.user && found.institutionCode !== null ? { user: found.user, institutionCode: found.institutionCode } : null;
  if (!row) throw AppError.unauthorized("The account no longer exists");
  const who: Who = { userId: row.user.id, role: row.user.role, institutionId: row.user.institutionId, institutionCode: row.institutionCode };

  // The first use inserts the successor; the unique parent_id makes a concurrent first use insert nothing,
  // so exactly one use is the first. All of it in one batch (one transaction). A token already marked used
  // skips this: tokens used before migration 0006 have no successor row that would make the insert fail.
  if (presented.usedAt === null) {
    const successor = newRefreshRow(config, who, fam, jti, now, family.expiresAt);
    const insert = db
      .insert(refreshTokens)
      .values(successor)
      .onConflictDoNothing({ target: refreshTokens.parentId })
      .returning({ id: refreshTokens.id });
    const markUsed = db.update(refreshTokens).set({ usedAt: now }).where(and(eq(refreshTokens.id, jti), isNull(refreshTokens.usedAt)));
    const markRotated = db
      .update(refreshTokenFamilies)
      .set({ rotatedAt: now })
      .where(and(eq(refreshTokenFamilies.id, fam), isNull(refreshTokenFamilies.rotatedAt)));
    const [inserted] =
      presented.parentId === null ? await db.batch([insert, markUsed]) : await db.batch([insert, markUsed, markRotated]);
    if (inserted.length === 1) {
      return { access: await accessFor(config, who, now), refresh: await refreshJwtOf(config, who, fam, successor) };
    }
  }

  // Used before (or just now, concurrently). Read the family and the successor again, in one round trip: a rotated
  // token may have been presented since the first read.
  const [[current], [given]] = await db.batch([
    db
      .select({ revokedAt: refreshTokenFamilies.revokedAt, rotatedAt: refreshTokenFamilies.rotatedAt })
      .from(refreshTokenFamilies)
      .where(eq(refreshTokenFamilies.id, fam))
      .limit(1),
    db.select().from(refreshTokens).where(eq(refreshTokens.parentId, jti)).limit(1),
  ]);
  if (current && current.revokedAt === null && given) {
    const loginTokenMode = presented.parentId === null && current.rotatedAt === null;
    const retriedAtOnce = given.usedAt === null && now - given.createdAt <= REFRESH_REUSE_GRACE_MS;
    if (loginTokenMode || retriedAtOnce) {
      return { access: await accessFor(config, who, now), refresh: await refreshJwtOf(config, who, fam, given) };
    }
  }
  await db
    .update(refreshTokenFamilies)
    .set({ revokedAt: now, revokedReason: "refresh token reuse" })
    .where(eq(refreshTokenFamilies.id, fam));
  console.warn(JSON.stringify({ level: "warn", msg: "refresh token reuse; family revoked", family: fam, user: family.userId }));
  throw AppError.unauthorized("Refresh token was already used; this login has been revoked, log in again");
}

/** The institution's accounts with these emails (role, and whether claimed), 500 emails a query. */
export async function usersByEmail(db: Db, institutionId: number, emails: string[]) {
  const out = new Map<string, { id: number; role: "INSTRUCTOR" | "STUDENT"; claimed: boolean }>();
  for (let i = 0; i < emails.length; i += 500) {
    const rows = await db
      .select({ id: users.id, email: users.email, role: users.role, claimed: sql<number>`${users.passwordHash} is not null` })
      .from(users)
      .where(and(eq(users.institutionId, institutionId), inArray(users.email, emails.slice(i, i + 500))));
    for (const r of rows) out.set(r.email, { id: r.id, role: r.role, claimed: Boolean(r.claimed) });
  }
  return out;
}
