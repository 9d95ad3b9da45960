// The student of a partner session: the institution's TRUSTID user (role STUDENT) with the session's email,
// created as an invited account (no password) when new, which the student claims later (services/invitations.ts).
// These are statements for the session's write batch (sessions.ts): the account is upserted and then found by its
// email in the same transaction as the session's write, so the write waits for no round trip to learn its id.
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { users } from "../../db/schema";
import { isEmail } from "../../lib/email";
import { PartnerError } from "./errors";
import type { Scope } from "./exams";

/** The invited account a new email creates (its email lower-cased, its name from `name` or the email); 422 for an invalid email. */
export function invitedStudent(scope: Scope, email: string, name: string | undefined, now: number) {
  const normalized = email.trim().toLowerCase();
  if (!isEmail(normalized)) throw PartnerError.field("email", "is invalid");
  const fullName = (name ?? normalized.split("@")[0]!).trim();
  const [first, ...rest] = fullName.split(/\s+/);
  return {
    institutionId: scope.institutionId,
    email: normalized,
    name: first || normalized,
    surname: rest.join(" "),
    role: "STUDENT" as const,
    passwordHash: null, // invited: the student sets a password when claiming the account
    createdAt: now,
    updatedAt: now,
  };
}

/** Creates the account if the institution has none with that email (an existing one is kept as it is). */
export const upsertStudent = (db: Db, student: ReturnType<typeof invitedStudent>) => db.insert(users).values(student).onConflictDoNothing();

/** The condition that picks the institution's student with this email (no row for an account that is not a student). */
export const isStudentWithEmail = (scope: Scope, email: string) =>
  and(eq(users.institutionId, scope.institutionId), eq(users.email, email), eq(users.role, "STUDENT"));

/** The id of the institution's student with this email, as a subquery. */
export const studentIdByEmail = (db: Db, scope: Scope, email: string) => db.select({ id: users.id }).from(users).where(isStudentWithEmail(scope, email));

/** The institution's account with this email, whatever its role: read after a write to tell why it was refused. */
export const accountByEmail = (db: Db, scope: Scope, email: string) =>
  db
    .select({ role: users.role })
    .from(users)
    .where(and(eq(users.institutionId, scope.institutionId), eq(users.email, email)))
    .limit(1);

export const notAStudent = () => PartnerError.field("email", "belongs to an account that is not a student");
