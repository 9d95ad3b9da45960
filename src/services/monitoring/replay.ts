// Resending a server-checked monitoring sample (a frame, a clip) with the same Idempotency-Key, after a timeout, a
// 503 or a lost answer: the first check's answer, stored with its event, is given again, and nothing is checked or
// stored twice (a probe's retried frame counted "face_mismatch (2x)" with two decision records). Device reports
// (/monitoring/) use the same key column; their answer is rebuilt from the report itself (results.ts).
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { monitoringEvents } from "../../db/schema";
import { AppError } from "../../lib/errors";

/** The device's key and a digest of what it sent (exam, sample bytes, processes): one key names one request. */
export type ReplayKey = { key: string; fingerprint: string };

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

/** SHA-256 over the request's parts, each digested on its own (so that part boundaries count). */
export async function requestFingerprint(...parts: (string | Uint8Array | undefined)[]): Promise<string> {
  const enc = new TextEncoder();
  const digests = await Promise.all(parts.map(async (p) => (p === undefined ? "-" : hex(await crypto.subtle.digest("SHA-256", typeof p === "string" ? enc.encode(p) : (p as Uint8Array<ArrayBuffer>))))));
  return hex(await crypto.subtle.digest("SHA-256", enc.encode(digests.join("."))));
}

/** The report a student stored under an Idempotency-Key, as a query (to batch with the request's other reads). */
export const storedReportQuery = (db: Db, studentId: number, clientKey: string) =>
  db
    .select({ id: monitoringEvents.id, examId: monitoringEvents.examId, payload: monitoringEvents.payload })
    .from(monitoringEvents)
    .where(and(eq(monitoringEvents.studentId, studentId), eq(monitoringEvents.clientKey, clientKey)))
    .limit(1);

/** The report a student stored under an Idempotency-Key, if any. */
export async function storedReport(db: Db, studentId: number, clientKey: string) {
  const [row] = await storedReportQuery(db, studentId, clientKey);
  return row;
}

export const keyUsedForAnotherReport = () =>
  AppError.badField("Idempotency-Key", "This key was already used for a different report; send each new report with a new key.");

/** What a server-checked event's payload carries for its replay. */
export const replayPayload = <T>(key: ReplayKey | undefined, answer: T) => (key ? { request_sha256: key.fingerprint, answer } : {});

/**
 * The answer stored the first time this key was used (`first`: storedReportQuery's row), or null when it was not: a key
 * used for another request (another exam, other bytes) is the documented 400, and nothing of this request is stored.
 */
export function replayedAnswer<T>(first: Awaited<ReturnType<typeof storedReportQuery>>[number] | undefined, examId: number, key: ReplayKey): T | null {
  if (!first) return null;
  const payload = first.payload as { request_sha256?: string; answer?: T } | null;
  if (first.examId !== examId || payload?.request_sha256 !== key.fingerprint || payload.answer === undefined) throw keyUsedForAnotherReport();
  return payload.answer;
}
