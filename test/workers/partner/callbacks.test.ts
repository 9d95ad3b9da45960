// Status-change callbacks: queued with the status change, delivered signed, retried with backoff after
// a receiver failure, given up after expiry, and driven by the Worker's scheduled handler.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { decisions, enrolments, partnerCallbackOutbox } from "../../../src/db/schema";
import { route as registerUser } from "../../../src/routes/auth/register-user";
import { route as deleteStudent } from "../../../src/routes/partner/delete-student";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsDestroy } from "../../../src/routes/partner/exams-destroy";
import { routeFor as examsUpdate } from "../../../src/routes/partner/exams-update";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsDestroy } from "../../../src/routes/partner/sessions-destroy";
import { route as myData } from "../../../src/routes/student/my-data";
import { route as requestManualApproval } from "../../../src/routes/student/request-manual-approval";
import { loadConfig } from "../../../src/env";
import { issueCredential } from "../../../src/services/partner/credentials";
import { hmacSha256Hex } from "../../../src/services/partner/crypto";
import worker from "../../../src/index";
import { deliveryOptions, runPartnerJobs } from "../../../src/services/partner/jobs";
import { deliverDueCallbacks, syncSessionStatuses } from "../../../src/services/partner/outbox";
import { api, bodyAt } from "../api";
import { loginAs } from "../helpers";
import { partnerApi } from "./api";
import { bindings, db, newPartner, RECEIVER, SEAL_KEY, setCallbackUrl } from "./helpers";

const config = () => loadConfig(bindings);
const hook = () => `h${crypto.randomUUID().slice(0, 8)}`;
const received = async (name: string): Promise<{ headers: Record<string, string>; body: string; status: number }[]> =>
  (await fetch(`${RECEIVER}/received/${name}`)).json();
const failNext = (name: string, n: number) => fetch(`${RECEIVER}/control/${name}?fail=${n}`, { method: "POST" });

async function waitFor<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A partner with a callback URL, an exam (starting at `startTime`, epoch seconds; now without it) and one student session. */
async function setup(name = hook(), startTime?: number) {
  const partner = await newPartner({ callbackUrl: `${RECEIVER}/hooks/${name}` });
  const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Callbacks", start_time: startTime } }), 201).exam.id;
  const created = bodyAt(
    await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email: `${name}@example.org` } }),
    201,
  ).student;
  const session = created.id;
  const invitationToken = created.token!; // the invited student's proof (issue 18)
  const trustid = (v: Partial<typeof enrolments.$inferInsert>) => db().update(enrolments).set(v).where(eq(enrolments.id, session));
  return { partner, exam, session, name, trustid, invitationToken };
}

function verifySignature(header: string, body: string, secrets: string[]) {
  const parts = header.split(",").map((p) => p.split("=") as [string, string]);
  const t = parts.find(([k]) => k === "t")![1];
  const v1 = parts.filter(([k]) => k === "v1").map(([, v]) => v);
  return { t: Number(t), v1, check: async () => Promise.all(secrets.map((s) => hmacSha256Hex(s, `${t}.${body}`))) };
}

const outboxOf = (session: number) => db().select().from(partnerCallbackOutbox).where(eq(partnerCallbackOutbox.enrolmentId, session));

describe("partner callbacks", () => {
  it("records a TRUSTID-side status change with its event in one batch, and delivers it signed", async () => {
    const { partner, session, exam, name, trustid } = await setup();
    await trustid({ verificationStatus: "Verified", joinedAt: Date.now() });
    // The automated decision behind the change (issue 15): the event names it.
    const [enrolment] = await db().select().from(enrolments).where(eq(enrolments.id, session));
    const decisionId = crypto.randomUUID();
    await db().insert(decisions).values({
      id: decisionId,
      institutionId: enrolment!.institutionId,
      studentId: enrolment!.studentId,
      examId: exam,
      modality: "face",
      action: "verify",
      endpoint: "/biometrics/face_verify",
      outcome: "accepted",
      createdAt: Date.now() - 1000,
    });
    const now = Date.now();
    const result = await runPartnerJobs(db(), config(), now);
    expect(result.queued).toBeGreaterThanOrEqual(1);
    const [row] = await db().select().from(enrolments).where(eq(enrolments.id, session));
    expect(row?.partnerStatus).toBe("exam_started");

    const deliveries = await received(name);
    expect(deliveries).toHaveLength(1);
    const d = deliveries[0]!;
    const event = JSON.parse(d.body);
    expect(event).toMatchObject({
      type: "student_session.status_changed",
      exam_id: exam,
      student_session_id: session,
      previous_status: "registered",
      status: "exam_started",
      student_session: { id: session, status: "exam_started", entered_room: true },
      decision_ids: [decisionId],
    });
    expect(d.headers["x-trustid-event-id"]).toBe(event.id);
    expect(d.headers["content-type"]).toBe("application/json");
    const sig = verifySignature(d.headers["x-trustid-signature"]!, d.body, [partner.secretKey]);
    expect(sig.t).toBe(Math.floor(now / 1000));
    expect(sig.v1).toEqual(await sig.check());

    const [out] = await outboxOf(session);
    expect(out).toMatchObject({ attempts: 1, deliveredAt: now, failedAt: null });
    // Nothing changed since: no new event.
    expect((await runPartnerJobs(db(), config(), now + 1000)).queued).toBe(0);
    expect(await received(name)).toHaveLength(1);
  });

  it("retries with backoff after receiver failures until accepted (same event id)", async () => {
    const { session, name, trustid } = await setup();
    await failNext(name, 2);
    await trustid({ verificationStatus: "Requested Manual Approval" });
    const t0 = Date.now();
    await runPartnerJobs(db(), config(), t0);
    let [out] = await outboxOf(session);
    expect(out).toMatchObject({ attempts: 1, deliveredAt: null, nextAttemptAt: t0 + 60_000, lastError: "HTTP 500" });

    await runPartnerJobs(db(), config(), t0 + 30_000); // not due yet
    expect(await received(name)).toHaveLength(1);
    await runPartnerJobs(db(), config(), t0 + 61_000); // second attempt fails too
    [out] = await outboxOf(session);
    expect(out).toMatchObject({ attempts: 2, nextAttemptAt: t0 + 61_000 + 120_000 });
    await runPartnerJobs(db(), config(), t0 + 182_000);
    [out] = await outboxOf(session);
    expect(out).toMatchObject({ attempts: 3, deliveredAt: t0 + 182_000, lastError: null });

    const deliveries = await received(name);
    expect(deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(new Set(deliveries.map((d) => d.headers["x-trustid-event-id"])).size).toBe(1);
    expect(JSON.parse(deliveries[2]!.body).status).toBe("in_setup");
  });

  it("loses nothing when a Worker stops after recording the change, or in the middle of a delivery", async () => {
    const { session, name, trustid } = await setup();
    await trustid({ verificationStatus: "Verified" });
    const t0 = Date.now();
    // The change is recorded with its event, then the Worker stops before delivering.
    expect(await syncSessionStatuses(db(), { enrolmentIds: [session] }, t0, 24 * 3600_000)).toBe(1);
    // A run that leased the event died mid-delivery: the lease keeps others off until it lapses.
    await db().update(partnerCallbackOutbox).set({ lockedUntil: t0 + 60_000 }).where(eq(partnerCallbackOutbox.enrolmentId, session));
    await deliverDueCallbacks(db(), deliveryOptions(config(), SEAL_KEY), t0 + 1000);
    expect(await received(name)).toHaveLength(0);
    await runPartnerJobs(db(), config(), t0 + 61_000);
    const deliveries = await received(name);
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ previous_status: "registered", status: "exam_not_started" });
  });

  it("gives up an event the receiver never accepts once it expires (24 h by default)", async () => {
    const { session, name, trustid } = await setup();
    await failNext(name, 1000);
    await trustid({ verificationStatus: "Verified" });
    const t0 = Date.now();
    await runPartnerJobs(db(), config(), t0);
    let t = t0;
    // Delivery only (not the whole job): pruning at a clock a day ahead would disturb other test files.
    for (let i = 0; i < 40; i++) {
      const [out] = await outboxOf(session);
      if (out?.failedAt) break;
      t = out!.nextAttemptAt;
      await deliverDueCallbacks(db(), deliveryOptions(config(), SEAL_KEY), t);
    }
    const [out] = await outboxOf(session);
    expect(out?.failedAt).toBeTypeOf("number");
    expect(out?.deliveredAt).toBeNull();
    expect(out!.failedAt! - t0).toBeLessThanOrEqual(24 * 3600_000);
    expect(out!.attempts).toBeGreaterThan(5);
    await failNext(name, 0);
  });

  it("signs with both keys during a rotation", async () => {
    const { partner, name, trustid } = await setup();
    const second = await issueCredential(db(), SEAL_KEY, partner.institutionId, Date.now());
    await trustid({ verificationStatus: "Verified" });
    await runPartnerJobs(db(), config(), Date.now());
    const [d] = await received(name);
    const sig = verifySignature(d!.headers["x-trustid-signature"]!, d!.body, [second.secretKey, partner.secretKey]);
    expect(sig.v1).toEqual(await sig.check());
    expect(sig.v1).toHaveLength(2);
  });

  it("closing the exam through the partner API finishes the session and calls back at once", async () => {
    const { partner, exam, name, trustid } = await setup();
    await trustid({ verificationStatus: "Verified", joinedAt: Date.now(), partnerStatus: "exam_started" });
    const res = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id: exam }, json: { status: "closed" } });
    expect(bodyAt(res, 200).exam.status).toBe("closed");
    const deliveries = await waitFor(() => received(name), (d) => d.length > 0);
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ previous_status: "exam_started", status: "exam_finished" });
  });

  it("calls back at once when the student changes the session through the TRUSTID API", async () => {
    const { partner, exam, name, invitationToken } = await setup();
    // The session's invited student claims the account with the session's token, logs in and asks for manual approval.
    const student = { email: `${name}@example.org`, password: "a good long password", organization: partner.code };
    const json = { ...student, name: "S", surname: "T", role: "STUDENT" as const, invitation_token: invitationToken };
    expect((await api(registerUser, { json })).status).toBe(200);
    const { access } = await loginAs({ ...student, role: "STUDENT" });
    const res = await api(requestManualApproval, { token: access, json: { exam_id: exam, manual_approval_type: "camera broken" } });
    expect(res.status).toBe(200);
    const deliveries = await waitFor(() => received(name), (d) => d.length > 0);
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ previous_status: "registered", status: "in_setup" });
  });

  it("the Worker's scheduled handler notices changes and delivers", async () => {
    const { name, trustid } = await setup();
    await trustid({ verificationStatus: "Verified" });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    const deliveries = await received(name);
    expect(JSON.parse(deliveries[0]!.body).status).toBe("exam_not_started");
  });

  // A probe found a deleted session's queued events kept (still retried to the partner, and listed in the student's
  // my_data), each quoting the session's email, external_id and individual_info.
  describe("deleting a session or its exam deletes its queued events", () => {
    /** A session whose status change is queued and undeliverable (the receiver fails), and its student logged in. */
    async function queuedEvent(startTime?: number) {
      const s = await setup(hook(), startTime);
      await failNext(s.name, 1000);
      const student = { email: `${s.name}@example.org`, password: "a good long password", organization: s.partner.code };
      const json = { ...student, name: "S", surname: "T", role: "STUDENT" as const, invitation_token: s.invitationToken };
      expect((await api(registerUser, { json })).status).toBe(200);
      const { access } = await loginAs({ ...student, role: "STUDENT" });
      await s.trustid({ verificationStatus: "Requested Manual Approval" });
      await runPartnerJobs(db(), config(), Date.now());
      const [out] = await outboxOf(s.session);
      expect(out).toMatchObject({ deliveredAt: null, failedAt: null, lastError: "HTTP 500" });
      const callbacks = async () => bodyAt(await api(myData, { token: access }), 200).resource_dict.partner_callbacks;
      expect(await callbacks()).toEqual([expect.objectContaining({ exam_id: s.exam, delivered_at: null })]);
      return { ...s, callbacks };
    }

    for (const form of ["student_sessions/:id", "delete_student"] as const) {
      it(`DELETE ${form}`, async () => {
        const { partner, exam, session, name, callbacks } = await queuedEvent();
        const res =
          form === "delete_student"
            ? await partnerApi(deleteStudent, { credentials: partner, params: { id: exam }, query: { student_session_id: session } })
            : await partnerApi(sessionsDestroy, { credentials: partner, params: { exam_id: exam, id: session } });
        expect(res.status).toBe(200);
        expect(await outboxOf(session)).toEqual([]);
        expect(await callbacks()).toEqual([]);
        await failNext(name, 0);
      });
    }

    it("a delivered event goes too (it quotes the session as well)", async () => {
      const { partner, exam, session, trustid } = await setup();
      await trustid({ verificationStatus: "Verified" });
      await runPartnerJobs(db(), config(), Date.now());
      expect((await outboxOf(session))[0]?.deliveredAt).toBeTypeOf("number");
      expect((await partnerApi(sessionsDestroy, { credentials: partner, params: { exam_id: exam, id: session } })).status).toBe(200);
      expect(await outboxOf(session)).toEqual([]);
    });

    it("DELETE exams/:id, with another exam's event kept", async () => {
      const { partner, exam, session, name, callbacks } = await queuedEvent(Math.floor(Date.now() / 1000) + 3600);
      const other = await queuedEvent();
      const res = await partnerApi(examsDestroy, { credentials: partner, params: { id: exam } });
      expect(res.status).toBe(200);
      expect(await outboxOf(session)).toEqual([]);
      expect(await callbacks()).toEqual([]);
      expect(await outboxOf(other.session)).toHaveLength(1);
      await failNext(name, 0);
      await failNext(other.name, 0);
    });
  });

  it("queues nothing for an institution without callback_url, but still records the status", async () => {
    const { partner, session, trustid } = await setup();
    await setCallbackUrl(partner.institutionId, null);
    await trustid({ verificationStatus: "Verified" });
    await runPartnerJobs(db(), config(), Date.now()); // the sweep skips it: no listener
    const examId = (await db().select().from(enrolments).where(eq(enrolments.id, session)))[0]!.examId;
    const shown = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id: examId }, json: { status: "closed" } });
    expect(shown.status).toBe(200);
    const [row] = await db().select().from(enrolments).where(eq(enrolments.id, session));
    expect(row?.partnerStatus).toBe("exam_not_started");
    expect(await outboxOf(session)).toEqual([]);
  });
});
