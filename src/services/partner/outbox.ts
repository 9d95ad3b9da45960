// Status-change callbacks, at least once. A session's status is derived (status.ts); `partner_status`
// is the last status reported. Wherever a difference is seen (the partner API after a change it made,
// and the scheduled handler every minute for changes made through TRUSTID), the new status and its
// event are written in ONE batch (the event row only if the recorded status is still the old one), so
// a status is never recorded without its event, even if the Worker stops right after. Delivery reads
// the outbox: a Worker restart loses nothing, a failed delivery is retried with backoff until a
// receiver accepts it (2xx) or it expires. The receiver de-duplicates by the event id.
import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { decisions, enrolments, exams, institutions, partnerCallbackOutbox, users } from "../../db/schema";
import { activeSecrets } from "./credentials";
import { hmacSha256Hex } from "./crypto";
import { iso, sessionJson, statusOfRow } from "./serialize";
import { sessionColumns } from "./rows";

export const CALLBACK_EVENT = "student_session.status_changed";
export const SIGNATURE_HEADER = "X-TrustID-Signature";
export const EVENT_ID_HEADER = "X-TrustID-Event-Id";
const LEASE_MS = 60_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const BATCH = 25;
/** How many of a session's latest automated decisions an event names (docs/decisions.md). */
const DECISION_IDS_PER_EVENT = 20;
// Sessions of exams completed longer ago than this are no longer watched for changes.
const WATCH_AFTER_COMPLETION_MS = 24 * 3600_000;

/** Seconds to wait after the n-th failed attempt: 1, 2, 4, ... minutes, at most an hour. */
export const retryDelayMs = (attempts: number) => Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 3600_000);

type SyncFilter = { institutionId?: number; examId?: number; enrolmentIds?: number[] };

/**
 * Records every session whose derived status differs from the one last reported, queueing an event
 * for institutions that have a callback URL. Returns the number of events queued. TRUSTID code that
 * changes enrolments may call this after its write for an immediate callback; otherwise the
 * scheduled handler notices within a minute.
 */
export async function syncSessionStatuses(db: Db, filter: SyncFilter, now: number, expiryMs: number): Promise<number> {
  const conditions = [
    filter.institutionId !== undefined ? eq(enrolments.institutionId, filter.institutionId) : undefined,
    filter.examId !== undefined ? eq(enrolments.examId, filter.examId) : undefined,
    filter.enrolmentIds ? inArray(enrolments.id, filter.enrolmentIds) : undefined,
  ];
  if (filter.examId === undefined && !filter.enrolmentIds) {
    // The periodic sweep: only where someone listens, and not forever after an exam ended.
    conditions.push(isNotNull(institutions.callbackUrl));
    conditions.push(or(isNull(exams.completedAt), lt(sql`${now} - ${exams.completedAt}`, WATCH_AFTER_COMPLETION_MS)));
  }
  const rows = await db
    .select({ ...sessionColumns, partnerStatus: enrolments.partnerStatus, institutionId: enrolments.institutionId, callbackUrl: institutions.callbackUrl })
    .from(enrolments)
    .innerJoin(users, eq(users.id, enrolments.studentId))
    .innerJoin(exams, eq(exams.id, enrolments.examId))
    .innerJoin(institutions, eq(institutions.id, enrolments.institutionId))
    .where(and(...conditions));
  const changed = rows.filter((row) => statusOfRow(row) !== row.partnerStatus);
  const decisionIds = await latestDecisionIds(db, changed.filter((row) => row.callbackUrl));
  const statements = [];
  let queued = 0;
  for (const row of changed) {
    const status = statusOfRow(row);
    // Both statements only act if no concurrent run has recorded this change already.
    const stillOld = and(eq(enrolments.id, row.id), eq(enrolments.partnerStatus, row.partnerStatus));
    if (row.callbackUrl) {
      const id = crypto.randomUUID();
      const payload = JSON.stringify({
        id,
        type: CALLBACK_EVENT,
        created_at: iso(now),
        exam_id: row.examId,
        student_session_id: row.id,
        previous_status: row.partnerStatus,
        status,
        student_session: sessionJson(row),
        // The automated decisions behind this session (newest first): the institution can ask for their review.
        decision_ids: decisionIds.get(`${row.examId}:${row.studentId}`) ?? [],
      });
      statements.push(
        db.run(sql`insert into ${partnerCallbackOutbox} (id, institution_id, exam_id, enrolment_id, payload, created_at, expires_at, next_attempt_at, attempts)
          select ${id}, ${row.institutionId}, ${row.examId}, ${row.id}, ${payload}, ${now}, ${now + expiryMs}, ${now}, 0
          where exists (select 1 from ${enrolments} where ${stillOld})`),
      );
      queued++;
    }
    statements.push(db.update(enrolments).set({ partnerStatus: status }).where(stillOld));
  }
  if (statements.length > 0) await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  return queued;
}

/** `t=<unix seconds>,v1=<hex>[,v1=<hex>]`: one v1 per active secret key (two during a rotation). */
/** The latest decision ids per session ("examId:studentId"), in one query for all the sessions that changed. */
async function latestDecisionIds(db: Db, sessions: { examId: number; studentId: number }[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (sessions.length === 0) return out;
  const examIds = [...new Set(sessions.map((s) => s.examId))];
  const studentIds = [...new Set(sessions.map((s) => s.studentId))];
  // At most DECISION_IDS_PER_EVENT per session, counted in the database (a long exam has many monitoring decisions).
  const rows = await db.all<{ id: string; examId: number; studentId: number }>(sql`
    select id, exam_id as examId, student_id as studentId from (
      select ${decisions.id} as id, ${decisions.examId} as exam_id, ${decisions.studentId} as student_id,
        row_number() over (partition by ${decisions.examId}, ${decisions.studentId} order by ${decisions.createdAt} desc) as n
      from ${decisions}
      where ${inArray(decisions.examId, examIds)} and ${inArray(decisions.studentId, studentIds)}
    ) where n <= ${DECISION_IDS_PER_EVENT} order by examId, studentId, n`);
  for (const r of rows) {
    const key = `${r.examId}:${r.studentId}`;
    const list = out.get(key) ?? [];
    list.push(r.id);
    out.set(key, list);
  }
  return out;
}

export async function callbackSignature(secrets: string[], body: string, nowMs: number): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  const sigs = await Promise.all(secrets.map((s) => hmacSha256Hex(s, `${t}.${body}`)));
  return [`t=${t}`, ...sigs.map((s) => `v1=${s}`)].join(",");
}

export type DeliveryOptions = { sealKey: string; requireHttps: boolean; fetcher?: typeof fetch };

/** Attempts every due event once. Safe to run concurrently: each event is leased before its attempt. */
export async function deliverDueCallbacks(db: Db, opts: DeliveryOptions, now: number) {
  const due = await db
    .select({ id: partnerCallbackOutbox.id })
    .from(partnerCallbackOutbox)
    .where(
      and(
        isNull(partnerCallbackOutbox.deliveredAt),
        isNull(partnerCallbackOutbox.failedAt),
        lte(partnerCallbackOutbox.nextAttemptAt, now),
        or(isNull(partnerCallbackOutbox.lockedUntil), lt(partnerCallbackOutbox.lockedUntil, now)),
      ),
    )
    .orderBy(asc(partnerCallbackOutbox.nextAttemptAt))
    .limit(BATCH);
  const targets = new Map<number, Promise<{ url: string | null; secrets: string[] }>>();
  const result = { delivered: 0, retrying: 0, failed: 0 };
  await Promise.all(
    due.map(async ({ id }) => {
      const [event] = await db
        .update(partnerCallbackOutbox)
        .set({ lockedUntil: now + LEASE_MS })
        .where(
          and(
            eq(partnerCallbackOutbox.id, id),
            isNull(partnerCallbackOutbox.deliveredAt),
            isNull(partnerCallbackOutbox.failedAt),
            or(isNull(partnerCallbackOutbox.lockedUntil), lt(partnerCallbackOutbox.lockedUntil, now)),
          ),
        )
        .returning();
      if (!event) return; // another run has it
      let target = targets.get(event.institutionId);
      if (!target) {
        target = targetOf(db, opts.sealKey, event.institutionId);
        targets.set(event.institutionId, target);
      }
      const error = await attempt(await target, event.id, event.payload, opts, now);
      const attempts = event.attempts + 1;
      if (error === null) {
        result.delivered++;
        await db
          .update(partnerCallbackOutbox)
          .set({ deliveredAt: now, attempts, lockedUntil: null, lastError: null })
          .where(eq(partnerCallbackOutbox.id, id));
        return;
      }
      const next = now + retryDelayMs(attempts);
      const expired = next > event.expiresAt;
      if (expired) result.failed++;
      else result.retrying++;
      await db
        .update(partnerCallbackOutbox)
        .set({ attempts, nextAttemptAt: next, lockedUntil: null, lastError: error, failedAt: expired ? now : null })
        .where(eq(partnerCallbackOutbox.id, id));
      if (expired) {
        console.warn(JSON.stringify({ level: "warn", msg: "partner callback given up", event_id: id, institution_id: event.institutionId, attempts, error }));
      }
    }),
  );
  return result;
}

async function targetOf(db: Db, sealKey: string, institutionId: number) {
  const [inst] = await db.select({ url: institutions.callbackUrl }).from(institutions).where(eq(institutions.id, institutionId)).limit(1);
  return { url: inst?.url ?? null, secrets: await activeSecrets(db, sealKey, institutionId) };
}

/** One POST; null when accepted, else why not (kept in `last_error`, never shown to partners). */
async function attempt(target: { url: string | null; secrets: string[] }, id: string, body: string, opts: DeliveryOptions, now: number): Promise<string | null> {
  if (!target.url) return "no callback_url";
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return "callback_url is not a URL";
  }
  if (url.protocol !== "https:" && (opts.requireHttps || url.protocol !== "http:")) return "callback_url must use https";
  if (target.secrets.length === 0) return "no active partner credentials to sign with";
  try {
    const res = await (opts.fetcher ?? fetch)(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "TrustID-Edge-Callbacks/1",
        [EVENT_ID_HEADER]: id,
        [SIGNATURE_HEADER]: await callbackSignature(target.secrets, body, now),
      },
      body,
      redirect: "manual", // a redirect is not an acceptance (and must not take the event elsewhere)
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 200) : "fetch failed";
  }
}

/** Delivered or abandoned events are kept a week for support questions, then removed. */
export async function pruneOutbox(db: Db, now: number) {
  const cutoff = now - 7 * 24 * 3600_000;
  await db
    .delete(partnerCallbackOutbox)
    .where(
      or(
        and(isNotNull(partnerCallbackOutbox.deliveredAt), lt(partnerCallbackOutbox.deliveredAt, cutoff)),
        and(isNotNull(partnerCallbackOutbox.failedAt), lt(partnerCallbackOutbox.failedAt, cutoff)),
      ),
    );
}
