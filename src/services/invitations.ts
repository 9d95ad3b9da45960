// Invitations: the proof with which a student claims an invited account (one created by a course sync or
// a partner session, without a password). A random token, handed to whoever invited the student (the
// Moodle sync result, the partner session's `token`) and mailed to the student when a mail sender is
// configured; only its SHA-256 is stored. Single use, and it expires. All SQL for it is here.
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Config } from "../env";
import { columnName, type Db } from "../db/client";
import { exams, institutions, invitations, users } from "../db/schema";
import { randomHex, sha256Hex } from "./partner/crypto";
import { sendMail } from "./mail/postmark";

export type Invitation = { userId: number; email: string; token: string; expiresAt: number };

/**
 * An account a course sync invited within this long, with that token unexpired, is not invited (nor mailed) again by
 * another sync: its token still works. Open instructor registration let anyone mail any address from the institution's sender once per exam
 * they created and synced (a probe: 5 syncs, 5 mails to one address, with the exam's name as the subject).
 */
export const SYNC_REINVITE_AFTER_MS = 24 * 3600_000;

/**
 * The invitations of these pending tokens' accounts that are still unclaimed (no password) and not invited within
 * SYNC_REINVITE_AFTER_MS when the caller's batch runs them, placed after the statements that create the accounts;
 * returns which were written (`issuedInvitations`). One statement for many accounts (a course sync lists up to
 * 2,000 students).
 */
export function insertInvitationsIfUnclaimed(db: Db, institutionId: number, pending: PendingInvitation[]) {
  const i = invitations;
  const rows = sql.join(pending.map((p) => sql`(${p.email}, ${p.tokenHash}, ${p.createdAt}, ${p.expiresAt})`), sql`, `);
  const since = (pending[0]?.createdAt ?? 0) - SYNC_REINVITE_AFTER_MS;
  return db.all<{ token_hash: string; user_id: number }>(
    sql`insert into ${i} (${columnName(i.institutionId)}, ${columnName(i.userId)}, ${columnName(i.tokenHash)}, ${columnName(i.createdAt)}, ${columnName(i.expiresAt)})
        select ${institutionId}, ${users.id}, v.column2, v.column3, v.column4
        from (values ${rows}) as v join ${users} on ${users.email} = v.column1
        where ${and(eq(users.institutionId, institutionId), isNull(users.passwordHash), eq(users.role, "STUDENT"))}
          and not exists (select 1 from ${i} as recent where recent.${columnName(i.userId)} = ${users.id} and recent.${columnName(i.createdAt)} > ${since} and recent.${columnName(i.expiresAt)} > ${pending[0]?.createdAt ?? 0})
        returning ${columnName(i.userId)}, ${columnName(i.tokenHash)}`,
  );
}

/** The invitations to hand out, from what `insertInvitationsIfUnclaimed` answered it wrote. */
export function issuedInvitations(pending: PendingInvitation[], rows: { token_hash: string; user_id: number }[]): Invitation[] {
  const byHash = new Map(pending.map((p) => [p.tokenHash, p]));
  return rows.flatMap((row) => {
    const p = byHash.get(row.token_hash);
    return p ? [{ userId: Number(row.user_id), email: p.email, token: p.token, expiresAt: p.expiresAt }] : [];
  });
}

/**
 * A new token for the account with this email, made before the batch that writes its row
 * (`insertInvitationIfLastChanged`): whether the account is unclaimed, and its id, are found by that statement.
 */
export async function newInvitation(institutionId: number, email: string, now: number, ttlHours: number) {
  const token = randomHex(24);
  return { institutionId, email, token, tokenHash: await sha256Hex(token), createdAt: now, expiresAt: now + ttlHours * 3600_000 };
}
export type PendingInvitation = Awaited<ReturnType<typeof newInvitation>>;

/**
 * The invitation's insert for the caller's batch, placed right after the write it depends on: it writes only if
 * that statement changed a row (SQLite's changes()) and the account with the pending email is unclaimed (no
 * password), all in the same round trip: an enrolment that already existed, or a claimed account, issues no
 * token. Gives back the account's id when it wrote (`issuedInvitation`). Raw SQL: drizzle's insert-select must
 * select every column of the table, and `changes()` has no drizzle form.
 */
export function insertInvitationIfLastChanged(db: Db, pending: PendingInvitation) {
  const i = invitations;
  return db.all<{ user_id: number }>(
    sql`insert into ${i} (${columnName(i.institutionId)}, ${columnName(i.userId)}, ${columnName(i.tokenHash)}, ${columnName(i.createdAt)}, ${columnName(i.expiresAt)})
        select ${pending.institutionId}, ${users.id}, ${pending.tokenHash}, ${pending.createdAt}, ${pending.expiresAt} from ${users}
        where ${and(eq(users.institutionId, pending.institutionId), eq(users.email, pending.email), isNull(users.passwordHash))} and changes() = 1
        returning ${columnName(i.userId)}`,
  );
}

/** The invitation to hand out, when `insertInvitationIfLastChanged` answered that it wrote one (`rows`). */
export function issuedInvitation(pending: PendingInvitation, rows: { user_id: number }[]): Invitation | null {
  const [row] = rows;
  return row ? { userId: Number(row.user_id), email: pending.email, token: pending.token, expiresAt: pending.expiresAt } : null;
}

/**
 * What an invitation mail names (the institution's code, the `organization` to register with, and the exam's
 * name), as a statement for the caller's batch.
 */
export const mailContextQuery = (db: Db, examId: number) =>
  db
    .select({ institution: institutions.code, examName: exams.name })
    .from(exams)
    .innerJoin(institutions, eq(institutions.id, exams.institutionId))
    .where(eq(exams.id, examId))
    .limit(1);

/**
 * Uses up a token of this account if it is valid (right account, unused, unexpired). The conditional
 * update makes two concurrent claims with one token succeed once.
 */
export async function consumeInvitation(db: Db, institutionId: number, userId: number, token: string, now: number): Promise<boolean> {
  const used = await db
    .update(invitations)
    .set({ usedAt: now })
    .where(
      and(
        eq(invitations.tokenHash, await sha256Hex(token)),
        eq(invitations.institutionId, institutionId),
        eq(invitations.userId, userId),
        isNull(invitations.usedAt),
        gt(invitations.expiresAt, now),
      ),
    )
    .returning({ id: invitations.id });
  return used.length === 1;
}

/** The other tokens of a claimed account are of no use any more: mark them used. */
export async function retireInvitations(db: Db, institutionId: number, userId: number, now: number) {
  await db
    .update(invitations)
    .set({ usedAt: now })
    .where(and(eq(invitations.institutionId, institutionId), eq(invitations.userId, userId), isNull(invitations.usedAt)));
}

/** The mail sender's settings, or null when invitations are not mailed (MAIL_API_URL, MAIL_API_TOKEN, MAIL_FROM). */
export function mailSender({ mail: m }: Config) {
  return m.apiUrl && m.apiToken && m.from ? { apiUrl: m.apiUrl, apiToken: m.apiToken, from: m.from } : null;
}

/**
 * Mails each invitation to its student when a mail sender is configured (MAIL_API_URL). A failure is
 * logged and counted, never fatal: the token is still in the answer to whoever invited the student.
 * Returns the emails of the invitations sent.
 */
export async function mailInvitations(
  config: Config,
  list: Invitation[],
  context: { institution: string; examName: string; claimPage?: string },
): Promise<Set<string>> {
  const sent = new Set<string>();
  const m = mailSender(config);
  if (!m) return sent;
  const opts = { baseUrl: m.apiUrl, serverToken: m.apiToken, from: m.from, timeoutMs: 5000 };
  // A few at a time: a sync may invite hundreds of students.
  for (let i = 0; i < list.length; i += 4) {
    await Promise.all(
      list.slice(i, i + 4).map(async (inv) => {
        const r = await sendMail(opts, {
          to: inv.email,
          subject: `Your TRUSTID account for ${context.examName}`,
          text: [
            `You have been enrolled in "${context.examName}" (${context.institution}).`,
            `To set up your account, register with this email address, organization ${context.institution} and this invitation token:`,
            "",
            inv.token,
            "",
            `The token can be used once and expires on ${new Date(inv.expiresAt).toISOString()}.`,
            ...(context.claimPage ? ["", "Or set up your account on this page (the link fills in the email, organization and token):", claimLink(context.claimPage, inv, context.institution)] : []),
          ].join("\n"),
        });
        if (r.ok) sent.add(inv.email);
        else console.warn(JSON.stringify({ level: "warn", msg: "invitation mail not sent", user: inv.userId, error: r.error }));
      }),
    );
  }
  return sent;
}

/**
 * The enrolment page's claim form, filled in by the link (public/enrol/claim.js). The values go in the URL's
 * fragment, which browsers never send to a server: the token stays out of server and proxy logs.
 */
export function claimLink(claimPage: string, inv: Invitation, institution: string): string {
  return `${claimPage}#claim?${new URLSearchParams({ email: inv.email, organization: institution, token: inv.token })}`;
}

/** The service's enrolment page (public/enrol), where an invited student claims the account, as seen by the caller. */
export const claimPageFor = (requestUrl: string) => new URL("/enrol/", requestUrl).href;

/** What an invitation mail names: the institution's code (the `organization` to register with) and the exam; one round trip. */
export async function mailContextOf(db: Db, institutionId: number, examId: number): Promise<{ institution: string; examName: string }> {
  const [code, name] = await db.batch([
    db.select({ code: institutions.code }).from(institutions).where(eq(institutions.id, institutionId)).limit(1),
    db.select({ name: exams.name }).from(exams).where(eq(exams.id, examId)).limit(1),
  ]);
  return { institution: code[0]?.code ?? "", examName: name[0]?.name ?? "" };
}
