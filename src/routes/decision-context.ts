// What every decision record of a request shares, read from the request (the student, the request id its log
// line has too, the time, the client's own `operating_sys`), and `decided`, which wraps one decision path of a
// route so that its call site stays one expression: the path's answer becomes a record, a biometric refusal it
// throws becomes a record too (then goes on to the client), and the record can be written with the path's
// effect (e.g. inside markVerified's batch). docs/decisions.md.
import type { Context } from "hono";
import type { SecurityLevel } from "../biometrics/security-level";
import { dbOf } from "../db/context";
import type { DecisionBase } from "../services/decisions/outcomes";
import { type DecisionAction, type DecisionInput, type DecisionInsert, decisionRow, insertDecision, type Modality } from "../services/decisions/record";
import { recordingRefusal } from "../services/decisions/refusals";
import type { AppEnv } from "../types";

export function decisionBase(c: Context<AppEnv>, over: { endpoint: string; examId?: number | null; operatingSys?: string | undefined }): DecisionBase {
  const caller = c.get("caller");
  return {
    institutionId: caller.institutionId,
    studentId: caller.userId,
    examId: over.examId ?? null,
    endpoint: over.endpoint,
    requestId: c.get("requestId"),
    client: { os: over.operatingSys },
    now: c.get("now"),
  };
}

export type DecisionSpec = {
  endpoint: string;
  modality: Modality;
  action: DecisionAction;
  modelId: string;
  securityLevel?: SecurityLevel | null;
  decideOn?: "similarity" | "distance";
  examId?: number | null;
  operatingSys?: string | undefined;
};

/** What the path's answer says, for the record; null: no decision was taken (e.g. a handwriting enrolment still collecting). */
export type OutcomeOf<T> = (out: T) => (Partial<DecisionInput> & Pick<DecisionInput, "outcome">) | null;

export async function decided<T>(
  c: Context<AppEnv>,
  spec: DecisionSpec,
  work: () => Promise<T>,
  outcome: OutcomeOf<T>,
  write?: (row: DecisionInsert, out: T) => Promise<unknown>,
): Promise<T> {
  const db = dbOf(c);
  const { endpoint, examId, operatingSys, ...facts } = spec;
  const base = { ...decisionBase(c, { endpoint, examId, operatingSys }), ...facts };
  const out = await recordingRefusal(db, base, work);
  const o = outcome(out);
  if (o) {
    const row = decisionRow({ ...base, ...o });
    await (write ? write(row, out) : insertDecision(db, row));
  }
  return out;
}

/** A 1:1 comparison's answer as a record: `value` is what was compared with the threshold (similarity or distance). */
export const matchOutcome = (
  v: { isMatch: boolean; threshold: number; level: SecurityLevel; templateVersion?: number },
  value: number | null,
  quality?: DecisionInput["quality"],
): Partial<DecisionInput> & Pick<DecisionInput, "outcome"> => ({
  outcome: v.isMatch ? "accepted" : "mismatch",
  score: value,
  threshold: v.threshold,
  securityLevel: v.level,
  templateVersion: v.templateVersion ?? null,
  quality: quality ?? null,
});
