// Used by TRUSTID endpoints that change an exam's enrolments: tells the institution's partner system
// (ProctorExam v3 callbacks) in the background, after the response. Failures only delay the callback:
// the scheduled sweep notices the change and retries delivery.
import type { Context } from "hono";
import { dbOf } from "../db/context";
import { loadConfig } from "../env";
import { notifySessionChanges } from "../services/partner/jobs";
import type { AppEnv } from "../types";
import { describeError } from "../lib/handle-error";

export function notifyPartnerSoon(c: Context<AppEnv>, examId: number) {
  const work = notifySessionChanges(dbOf(c), loadConfig(c.env), examId, c.get("now")).catch((e) =>
    console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), msg: "partner notification failed", ...describeError(e) })),
  );
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request in unit tests): the scheduled sweep covers it.
  }
}
