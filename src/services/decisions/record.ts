// The decision record writer (docs/decisions.md). Callers build the row with decisionRow and put
// insertDecision(db, row) in the SAME db.batch([...]) as the decision's effect (an enrolment marked
// Verified, a monitoring event and its alerts), so that a decision is recorded if and only if it took
// effect. A decision without a database effect (a refused registration, a practice verification) is
// written alone with recordDecision. The sample itself is never passed here, only measurements.
import type { Db } from "../../db/client";
import { decisions } from "../../db/schema";
import type { SecurityLevel } from "../../biometrics/security-level";
import { modelSha256, scoringSha256 } from "./model-checksums";

export type Modality = (typeof decisions.modality.enumValues)[number];
export type DecisionAction = (typeof decisions.action.enumValues)[number];
export type DecisionOutcome = (typeof decisions.outcome.enumValues)[number];
export type DecisionRow = typeof decisions.$inferSelect;
export type DecisionInsert = typeof decisions.$inferInsert;
export type RaisedAlertRef = { reason: string; detail: string | null };
/** Measurements about the sample's quality (faces seen, liveness score, seconds of speech...): never the sample. */
export type QualityFlags = Record<string, number | boolean | string | null>;

export type DecisionInput = {
  institutionId: number;
  studentId: number;
  examId?: number | null;
  modality: Modality;
  action: DecisionAction;
  /** The API path that took the decision, e.g. `/biometrics/face_verify`. */
  endpoint: string;
  outcome: DecisionOutcome;
  reason?: string | null;
  score?: number | null;
  threshold?: number | null;
  decideOn?: "similarity" | "distance" | null;
  securityLevel?: SecurityLevel | null;
  modelId?: string | null;
  templateVersion?: number | null;
  quality?: QualityFlags | null;
  alerts?: RaisedAlertRef[] | null;
  /** As the client reported it (e.g. `operating_sys`); used only to split the error report by device. */
  client?: { os?: string | null | undefined; device?: string | null | undefined } | null;
  requestId?: string | null;
  now: number;
};

const MAX_CLIENT_TEXT = 64;
const clientText = (s: string | null | undefined) => {
  const t = s?.trim();
  return t ? t.slice(0, MAX_CLIENT_TEXT) : null;
};
const finite = (n: number | null | undefined) => (typeof n === "number" && Number.isFinite(n) ? n : null);

/** The row of one decision, with a fresh id the caller can quote (in its answer, in a partner callback). */
export function decisionRow(d: DecisionInput): typeof decisions.$inferInsert & { id: string } {
  return {
    id: crypto.randomUUID(),
    institutionId: d.institutionId,
    studentId: d.studentId,
    examId: d.examId ?? null,
    modality: d.modality,
    action: d.action,
    endpoint: d.endpoint,
    outcome: d.outcome,
    reason: d.reason ?? null,
    score: finite(d.score),
    threshold: finite(d.threshold),
    decideOn: d.decideOn ?? null,
    securityLevel: d.securityLevel ?? null,
    modelId: d.modelId ?? null,
    modelSha256: modelSha256(d.modelId),
    scoringSha256: scoringSha256(d.modelId),
    templateVersion: d.templateVersion ?? null,
    quality: d.quality && Object.keys(d.quality).length > 0 ? d.quality : null,
    alertsRaised: d.alerts && d.alerts.length > 0 ? d.alerts : null,
    clientOs: clientText(d.client?.os),
    clientDevice: clientText(d.client?.device),
    requestId: d.requestId ?? null,
    createdAt: d.now,
  };
}

/** The insert statement, for the caller's own db.batch([...effect, insertDecision(db, row)]). */
export const insertDecision = (db: Db, row: typeof decisions.$inferInsert) => db.insert(decisions).values(row);

/** Writes one decision on its own (decisions without a database effect); returns its id. */
export async function recordDecision(db: Db, d: DecisionInput): Promise<string> {
  const row = decisionRow(d);
  await insertDecision(db, row);
  return row.id;
}
