// Which security level a biometric decision is taken at (src/biometrics/security-level.ts): the exam's own
// choice when the decision belongs to an exam and its instructor chose one, else the institution's default
// (scripts/institution.mjs --security-level), else `high`.
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { institutions } from "../db/schema";
import { DEFAULT_SECURITY_LEVEL, type SecurityLevel } from "../biometrics/security-level";
import type { Person } from "../types";

/** The institution's default level (decisions outside any exam: /biometrics/verify, interaction/test). */
export async function institutionSecurityLevel(db: Db, person: Person): Promise<SecurityLevel> {
  const [row] = await db.select({ level: institutions.securityLevel }).from(institutions).where(eq(institutions.id, person.institutionId)).limit(1);
  return row?.level ?? DEFAULT_SECURITY_LEVEL;
}

/** An exam's level: its own, else its institution's. */
export const examSecurityLevel = (examLevel: SecurityLevel | null, institutionLevel: SecurityLevel | null): SecurityLevel =>
  examLevel ?? institutionLevel ?? DEFAULT_SECURITY_LEVEL;
