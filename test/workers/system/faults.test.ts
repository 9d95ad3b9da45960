// Faults and overload (issue 8), the quick part; bench/faults.mjs and bench/load.mjs do the minutes-long
// drills against `npm start`. A dependency that is down or hangs gives a 503 with Retry-After in the
// documented envelope (never a 500, never a hang); beyond the in-flight limits the answer is a fast 503;
// callbacks and push notices that meet an unreachable receiver are kept and delivered once it is back.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it, inject } from "vitest";
import { createApp } from "../../../src/app";
import { alerts, enrolments, exams, monitoringEvents, partnerCallbackOutbox, walletExports } from "../../../src/db/schema";
import { type Bindings, loadConfig } from "../../../src/env";
import { inFlightNow } from "../../../src/lib/overload";
import { deliveryOptions } from "../../../src/services/partner/jobs";
import { deliverDueCallbacks, syncSessionStatuses } from "../../../src/services/partner/outbox";
import { processPush } from "../../../src/services/wallet/push";
import { startedExamWithStudent } from "../exams/support";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { route as walletFace } from "../../../src/routes/biometrics/wallet-face";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { api, bodyAt, type BodyAt } from "../api";
import { newSession } from "../helpers";
import { partnerApi } from "../partner/api";
import { bindings, db, newPartner, RECEIVER, SEAL_KEY, setCallbackUrl } from "../partner/helpers";
import { enrolFace, expoSent, pushToken } from "../wallet/fixtures";

// Nothing listens on port 9 (discard) here: connections are refused at once.
const UNREACHABLE = "http://127.0.0.1:9";
const baseEnv = env as unknown as Bindings;
const json = (body: unknown, token?: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});
const login = { email: "nobody@example.org", password: "a good long password", organization: "UCY" };

function expect503(res: Response, body: unknown, retryAfter?: string) {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  if (retryAfter) expect(res.headers.get("retry-after")).toBe(retryAfter);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  return body;
}

describe("database down or hanging", () => {
  it("refused connections: 503 with Retry-After in the TRUSTID envelope, nothing stored, and fine again once it is back", async () => {
    const { student, examId } = await startedExamWithStudent();
    const app = createApp();
    const down = { ...baseEnv, DATABASE_URL: UNREACHABLE };
    for (const [path, init] of [
      ["/backend/login", json(login)],
      ["/backend/student/list_exam", { headers: { authorization: `Bearer ${student.access}` } }],
      ["/backend/monitoring/", json({ exam_id: examId, error_type: "while-down" }, student.access)],
    ] as const) {
      const res = await app.request(path, init, down);
      const body = expect503(res, await res.json(), "5");
      expect(body).toEqual({ message: expect.stringMatching(/database/i), request_id: res.headers.get("x-request-id") });
    }
    // Back (the normal database): the same report is accepted, and stored once.
    const ok = await app.request("/backend/monitoring/", json({ exam_id: examId, error_type: "after" }, student.access), baseEnv);
    expect(ok.status).toBe(200);
    const rows = await db().select({ payload: monitoringEvents.payload }).from(monitoringEvents).where(eq(monitoringEvents.examId, examId));
    expect(rows.map((r) => (r.payload as { error_type?: string }).error_type)).toEqual(["after"]);
  });

  it("the partner API answers 503 {error} with Retry-After when the database is down", async () => {
    const app = createApp();
    const res = await app.request(
      "/api/v3/exams?timestamp=1&nonce=1&signature=x",
      { headers: { accept: "application/vnd.procwise.v3", authorization: "Token token=abc" } },
      { ...baseEnv, DATABASE_URL: UNREACHABLE },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({ error: expect.stringMatching(/database/i) });
  });

  it("a database that never answers: 503 after DB_TIMEOUT_MS, not a hung request", async () => {
    const app = createApp();
    const t0 = Date.now();
    const res = await app.request("/backend/login", json(login), { ...baseEnv, DATABASE_URL: inject("stalledUrl"), DB_TIMEOUT_MS: "300" });
    expect503(res, await res.json(), "5");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe("monitoring reports resent by a client", () => {
  it("with the same Idempotency-Key: stored once, alerts counted once, the same answer", async () => {
    const { student, examId } = await startedExamWithStudent("UCY", { forbidden_processes: ["anydesk.exe"] });
    const report = { exam_id: examId, running_processes: ["anydesk.exe"], error_type: "k1" };
    const headers = { "idempotency-key": `report-${crypto.randomUUID()}` };
    const first = await api(monitoringRoute, { token: student.access, json: report, headers });
    const again = await api(monitoringRoute, { token: student.access, json: report, headers });
    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, body: first.body });
    expect(bodyAt(first, 200).resource_array).toEqual(["forbidden_process: anydesk.exe"]);
    const events = await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId));
    expect(events).toHaveLength(1);
    const [alert] = await db().select().from(alerts).where(eq(alerts.examId, examId));
    expect(alert).toMatchObject({ occurrences: 1, firstEventId: events[0]!.id });
    // Another key is another report (the alert episode is extended).
    await api(monitoringRoute, { token: student.access, json: report, headers: { "idempotency-key": `report-${crypto.randomUUID()}` } });
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(2);
    expect((await db().select().from(alerts).where(eq(alerts.examId, examId)))[0]).toMatchObject({ occurrences: 2 });
    const bad = await api(monitoringRoute, { token: student.access, json: report, headers: { "idempotency-key": "has space" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(["Idempotency-Key"]);
  });

  it("after the exam completed: the last report resent is answered as the first time, a new one is refused", async () => {
    // A probe's client retrying its last report after a lost answer was told "completed" about a report that was kept.
    const { student, examId } = await startedExamWithStudent("UCY", { forbidden_processes: ["anydesk.exe"] });
    const report = { exam_id: examId, running_processes: ["anydesk.exe"] };
    const headers = { "idempotency-key": `report-${crypto.randomUUID()}` };
    const first = await api(monitoringRoute, { token: student.access, json: report, headers });
    expect(bodyAt(first, 200).resource_array).toEqual(["forbidden_process: anydesk.exe"]);
    await db().update(exams).set({ status: "Completed", completedAt: Date.now() }).where(eq(exams.id, examId));
    expect(await api(monitoringRoute, { token: student.access, json: report, headers })).toMatchObject({ status: 200, body: first.body });
    const fresh = await api(monitoringRoute, { token: student.access, json: report, headers: { "idempotency-key": `report-${crypto.randomUUID()}` } });
    expect(bodyAt(fresh, 400).error_details.exam_id).toEqual(["This examination has completed."]);
    const changed = await api(monitoringRoute, { token: student.access, json: { ...report, running_processes: ["x.exe"] }, headers });
    expect(bodyAt(changed, 400).error_details.exam_id).toEqual(["This examination has completed."]);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(1);
  });

  it("with a key already used for a different report: a 400 naming the key, nothing of it stored", async () => {
    const { student, examId } = await startedExamWithStudent("UCY", { forbidden_processes: ["anydesk.exe"] });
    const headers = { "idempotency-key": `report-${crypto.randomUUID()}` };
    const first = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, is_multiple_face_results: true }, headers });
    expect(bodyAt(first, 200).resource_array).toEqual(["multiple_faces"]);
    const other = await api(monitoringRoute, { token: student.access, json: { exam_id: examId, running_processes: ["anydesk.exe"] }, headers });
    expect(other.status).toBe(400);
    expect(bodyAt(other, 400).bad_formatted_fields).toEqual(["Idempotency-Key"]);
    expect(bodyAt(other, 400).error_details["Idempotency-Key"]?.[0]).toMatch(/different report/);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(1);
    expect((await db().select().from(alerts).where(eq(alerts.examId, examId))).map((a) => a.reason)).toEqual(["multiple_faces"]);
    // The first report sent again is still answered as the first time.
    expect(await api(monitoringRoute, { token: student.access, json: { exam_id: examId, is_multiple_face_results: true }, headers })).toMatchObject({ status: 200, body: first.body });
  });
});

describe("load shedding", () => {
  it("beyond MAX_INFLIGHT_REQUESTS a request is refused at once with 503 + Retry-After, and the slot is freed afterwards", async () => {
    const app = createApp();
    const slow = { ...baseEnv, DATABASE_URL: inject("stalledUrl"), DB_TIMEOUT_MS: "1500", MAX_INFLIGHT_REQUESTS: "1", OVERLOAD_RETRY_AFTER_SECONDS: "3" };
    const first = app.request("/backend/login", json(login), slow); // holds the only slot while the database hangs
    await new Promise((r) => setTimeout(r, 100));
    expect(inFlightNow("requests")).toBe(1);
    const t0 = Date.now();
    const second = await app.request("/backend/trustid_version", {}, slow);
    expect(Date.now() - t0).toBeLessThan(500);
    const body = expect503(second, await second.json(), "3");
    expect(body).toEqual({ message: expect.stringMatching(/busy/i), request_id: expect.any(String) });
    // The partner API shares the budget and answers in its own shape.
    const partner = await app.request("/api/v3/exams", { headers: { accept: "application/vnd.procwise.v3" } }, slow);
    expect(partner.status).toBe(503);
    expect(partner.headers.get("retry-after")).toBe("3");
    expect(await partner.json()).toEqual({ error: expect.stringMatching(/busy/i) });

    expect((await first).status).toBe(503); // the database timeout
    expect(inFlightNow("requests")).toBe(0);
    expect((await app.request("/backend/trustid_version", {}, slow)).status).toBe(200);
  });

  it("biometric inference has its own, smaller budget (MAX_INFLIGHT_INFERENCE)", async () => {
    const s = await newSession("STUDENT");
    const app = createApp();
    const slow = { ...baseEnv, DATABASE_URL: inject("stalledUrl"), DB_TIMEOUT_MS: "1000", MAX_INFLIGHT_INFERENCE: "1" };
    // face_verify reads the enrolment from the (hanging) database while holding its inference slot.
    const first = app.request("/backend/biometrics/face_verify", json({ image: "AAAA", exam_id: 1 }, s.access), slow);
    await new Promise((r) => setTimeout(r, 100));
    const second = await app.request("/backend/biometrics/face_verify", json({ image: "AAAA", exam_id: 1 }, s.access), slow);
    expect503(second, await second.json(), "2");
    expect((await first).status).toBe(503);
    expect(inFlightNow("inference")).toBe(0);
  });
});

describe("callbacks and push notices while the receiver is unreachable", () => {
  it("a partner callback that meets a refused connection is kept, retried, and delivered once", async () => {
    const name = `f${crypto.randomUUID().slice(0, 8)}`;
    const partner = await newPartner({ callbackUrl: `${UNREACHABLE}/hooks/${name}` });
    const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Faults" } }), 201).exam.id;
    const session = bodyAt(await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email: `${name}@example.org` } }), 201).student.id;
    await db().update(enrolments).set({ verificationStatus: "Verified" }).where(eq(enrolments.id, session));
    const config = loadConfig(bindings);
    const t0 = Date.now();
    await syncSessionStatuses(db(), { enrolmentIds: [session] }, t0, 24 * 3600_000);
    await deliverDueCallbacks(db(), deliveryOptions(config, SEAL_KEY), t0);
    let [out] = await db().select().from(partnerCallbackOutbox).where(eq(partnerCallbackOutbox.enrolmentId, session));
    expect(out).toMatchObject({ attempts: 1, deliveredAt: null, failedAt: null, nextAttemptAt: t0 + 60_000 });
    expect(out!.lastError).toBeTruthy();

    await setCallbackUrl(partner.institutionId, `${RECEIVER}/hooks/${name}`); // the receiver is back
    await deliverDueCallbacks(db(), deliveryOptions(config, SEAL_KEY), t0 + 61_000);
    await deliverDueCallbacks(db(), deliveryOptions(config, SEAL_KEY), t0 + 62_000); // nothing left to send
    [out] = await db().select().from(partnerCallbackOutbox).where(eq(partnerCallbackOutbox.enrolmentId, session));
    expect(out).toMatchObject({ attempts: 2, deliveredAt: t0 + 61_000, lastError: null });
    const deliveries = (await (await fetch(`${RECEIVER}/received/${name}`)).json()) as { body: string }[];
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ id: out!.id, status: "exam_not_started" });
  });

  it("a push notice that meets an unreachable Expo service is queued with backoff and sent once it is back", async () => {
    const s = await newSession("STUDENT");
    await enrolFace(s.access, 7000 + Math.floor(Math.random() * 1000));
    const token = pushToken("ok");
    const app = createApp();
    const res = await app.request("/backend/biometrics/wallet/face", json({ expoPushToken: token }, s.access), { ...baseEnv, EXPO_PUSH_URL: UNREACHABLE });
    // In-process with another EXPO_PUSH_URL (app.request): read as the route documents its 200.
    const body = (await res.json()) as BodyAt<typeof walletFace, 200>;
    expect(res.status, JSON.stringify(body)).toBe(200); // the export is made; only the notice waits
    expect(body.resource_dict.push).toMatchObject({ status: "queued", attempts: 1 });
    expect(body.resource_dict.push.error).toMatch(/network/);
    const id = body.resource_dict.export_id;
    const [queued] = await db().select().from(walletExports).where(eq(walletExports.id, id));

    const config = loadConfig(baseEnv);
    await processPush(db(), config, { ids: [id] }, queued!.nextAttemptAt!);
    const [sent] = await db().select().from(walletExports).where(eq(walletExports.id, id));
    expect(sent).toMatchObject({ pushStatus: "sent", pushAttempts: 2, pushError: null });
    expect(await expoSent(token)).toHaveLength(1);
    await processPush(db(), config, { ids: [id] }, queued!.nextAttemptAt! + 1); // the receipt
    const [delivered] = await db().select().from(walletExports).where(eq(walletExports.id, id));
    expect(delivered).toMatchObject({ pushStatus: "delivered", pushAttempts: 2 });
  });
});
