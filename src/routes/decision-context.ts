// What every decision record of a request shares, read from the request: the student, the request id (its
// log line has the same), the time and the client's own description of its system (`operating_sys`).
import type { Context } from "hono";
import type { DecisionBase } from "../services/decisions/outcomes";
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
