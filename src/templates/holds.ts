// Holds: the student's Durable Object's own copy of the template lock (middleware/template-lock.ts). The lock is a
// database condition (verified for an exam in progress), checked when a request arrives; a face_register sent a few
// milliseconds after a face_verify passed that check before the verification was written, and replaced the face the
// student had just been verified with by another person's (a probe: 3 of 3 tries, the other face then passed
// monitoring). So a face match that verifies a student for an exam in progress also holds the templates here, in the
// same call as the match, for two minutes (services/exams/verification.ts holdFor: the lock answers after that, and
// follows the exam), and every change of a template (enrol, replace, delete, restore from the wallet) is refused in
// the object itself while a hold is in force. A hold whose verification did not happen (the enrolment had gone
// meanwhile) is released at once.
import type { TemplateStore } from "./store";

/** What a face match should hold when it verifies the student (services/exams/verification.ts holdFor). */
export type HoldOnMatch = { examId: number; until: number };

/** Thrown by the object when a template change meets a hold; the message crosses RPC (lib/handle-error.ts maps it to 403). */
export const TEMPLATES_HELD = "templates_held";

export function refuseWhileHeld(store: TemplateStore, now: number) {
  const examId = store.activeHold(now);
  if (examId !== null) throw new Error(`${TEMPLATES_HELD}: ${examId}`);
}

/** The exam a `templates_held` error names, or null when the error is another. */
export function heldExamOf(e: unknown): number | null {
  const m = e instanceof Error ? new RegExp(`^${TEMPLATES_HELD}: (\\d+)$`).exec(e.message) : null;
  return m ? Number(m[1]) : null;
}
