// The partner API's periodic work (the Worker's `scheduled` handler, every minute; wrangler.toml):
// notice status changes made through TRUSTID, deliver due callbacks, forget old nonces and events.
import type { Config } from "../../env";
import type { Db } from "../../db/client";
import { settleDueExams } from "../exams/lifecycle";
import { pruneNonces } from "./nonces";
import { deliverDueCallbacks, pruneOutbox, syncSessionStatuses } from "./outbox";

export const callbackExpiryMs = (config: Config) => config.partner.callbackExpiryHours * 3600_000;

export const deliveryOptions = (config: Config, sealKey: string) => ({ sealKey, requireHttps: config.environment === "production" });

export async function runPartnerJobs(db: Db, config: Config, now: number) {
  const sealKey = config.partner.secretKeyEncryptionKey;
  if (!sealKey) return { queued: 0, delivered: 0, retrying: 0, failed: 0 };
  // Exams the clock has opened or closed first (lifecycle.ts), so that their sessions' changes are reported.
  await settleDueExams(db, now);
  const queued = await syncSessionStatuses(db, {}, now, callbackExpiryMs(config));
  const delivery = await deliverDueCallbacks(db, deliveryOptions(config, sealKey), now);
  await pruneNonces(db, now);
  await pruneOutbox(db, now);
  return { queued, ...delivery };
}

/**
 * Right after a TRUSTID-side change to an exam's enrolments (start, join, leave, verification, manual
 * approval): record the sessions' new partner statuses and try their callbacks now, so that partners
 * see every step and not only what the once-a-minute sweep finds. The sweep remains the safety net.
 */
export async function notifySessionChanges(db: Db, config: Config, examId: number, now: number) {
  const sealKey = config.partner.secretKeyEncryptionKey;
  if (!sealKey) return;
  const queued = await syncSessionStatuses(db, { examId }, now, callbackExpiryMs(config));
  if (queued > 0) await deliverDueCallbacks(db, deliveryOptions(config, sealKey), now);
}
