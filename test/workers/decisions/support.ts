// Decision records for the tests, written through the service exactly as the biometric paths write them.
import { recordDecision, type DecisionInput } from "../../../src/services/decisions/record";
import { claimsOf } from "../biometrics/fixtures";
import { db } from "../exams/support";

export const idsOf = (token: string) => {
  const c = claimsOf(token);
  return { institutionId: c.iid, studentId: Number(c.sub) };
};

/** A face verification mismatch by default; `over` changes any field. */
export function decide(studentToken: string, over: Partial<DecisionInput> = {}): Promise<string> {
  return recordDecision(db(), {
    ...idsOf(studentToken),
    modality: "face",
    action: "verify",
    endpoint: "/biometrics/face_verify",
    outcome: "mismatch",
    score: 0.31,
    threshold: 0.44,
    decideOn: "similarity",
    securityLevel: "high",
    modelId: "faceplugin-0.0.1-int8-v1",
    quality: { faces: 1, liveness: 0.93 },
    requestId: "req-test",
    now: Date.now(),
    ...over,
  });
}
