// SECURITY.md "Deletion": deleting really deletes. Unregister removes the template row from the student's
// Durable Object storage; a partner session or exam destroy removes the records that hang off it; erasing
// a student (operator request, scheduled job) removes every database row and then the template object.
import { env, runInDurableObject } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import {
  alerts, decisions, enrolments, erasureRequests, exams, feedback, invitations, loginAttempts, manualApprovalRequests, monitoringEvents,
  partnerCallbackOutbox, refreshTokenFamilies, refreshTokens, users, walletExports,
} from "../../../src/db/schema";
import { type Bindings, loadConfig } from "../../../src/env";
import { runErasureJobs } from "../../../src/services/erasure";
import { db, examWithEnrolment, ownerOf, templatesOf, unitVector } from "../biometrics/fixtures";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as refreshTokenRoute } from "../../../src/routes/auth/refresh-token";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as walletFaceRoute } from "../../../src/routes/biometrics/wallet-face";
import { decisionRow, insertDecision } from "../../../src/services/decisions/record";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsDestroy } from "../../../src/routes/partner/exams-destroy";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsDestroy } from "../../../src/routes/partner/sessions-destroy";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { partnerApi } from "../partner/api";
import { newPartner } from "../partner/helpers";

const bindings = env as unknown as Bindings;

async function storedTemplates(token: string) {
  return runInDurableObject(templatesOf(token), async (_o, state) => ({
    templates: state.storage.sql.exec("SELECT biometric_type FROM templates").toArray().map((r) => r.biometric_type),
    owner: state.storage.sql.exec("SELECT * FROM owner").toArray().length,
    versions: state.storage.sql.exec("SELECT * FROM template_versions").toArray().length,
  }));
}

/** One of everything a student leaves in an exam: an event with its alert, feedback, an approval request. */
async function recordsIn(institutionId: number, examId: number, studentId: number) {
  const d = db();
  const [event] = await d
    .insert(monitoringEvents)
    .values({ institutionId, examId, studentId, source: "device", monitoringType: "Exam Monitoring", payload: { face_detected: false } })
    .returning({ id: monitoringEvents.id });
  await d.insert(alerts).values({ institutionId, examId, studentId, reason: "no_face", firstEventId: event!.id, firstSeenAt: 1, lastSeenAt: 1 });
  await d.insert(feedback).values({ institutionId, examId, studentId, cheatMode: "Impersonation", feedback: "none" });
  await d.insert(manualApprovalRequests).values({ institutionId, examId, studentId, approvalType: "Face" });
}

async function countsFor(examId: number, studentId: number) {
  const d = db();
  const n = async (t: typeof alerts | typeof monitoringEvents | typeof feedback | typeof manualApprovalRequests | typeof enrolments) =>
    (await d.select().from(t).where(and(eq(t.examId, examId), eq(t.studentId, studentId)))).length;
  return { alerts: await n(alerts), events: await n(monitoringEvents), feedback: await n(feedback), approvals: await n(manualApprovalRequests), enrolments: await n(enrolments) };
}

describe("unregister", () => {
  it("deletes the template row from the Durable Object's storage, not just a flag", async () => {
    const s = await newSession("STUDENT");
    const owner = ownerOf(s.access);
    await templatesOf(s.access).enrolFace(owner, [unitVector(7)], FACE_MODEL_ID, Date.now());
    expect((await storedTemplates(s.access)).templates).toEqual(["Face"]);
    const res = await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    expect(res.status).toBe(200);
    expect((await storedTemplates(s.access)).templates).toEqual([]);
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } })).status).toBe(404);
  });
});

describe("partner API destroy", () => {
  it("a destroyed session takes that student's alerts, events, feedback and approval requests of the exam; others keep theirs", async () => {
    const partner = await newPartner();
    const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Deletion" } }), 201).exam.id;
    const add = async (email: string) => bodyAt(await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email, name: "S" } }), 201).student;
    const gone = await add(`gone.${crypto.randomUUID()}@example.org`);
    const kept = await add(`kept.${crypto.randomUUID()}@example.org`);
    await recordsIn(partner.institutionId, exam, gone.student_id);
    await recordsIn(partner.institutionId, exam, kept.student_id);

    const res = await partnerApi(sessionsDestroy, { credentials: partner, params: { exam_id: exam, id: gone.id } });
    expect(res.status).toBe(200);
    expect(await countsFor(exam, gone.student_id)).toEqual({ alerts: 0, events: 0, feedback: 0, approvals: 0, enrolments: 0 });
    expect(await countsFor(exam, kept.student_id)).toEqual({ alerts: 1, events: 1, feedback: 1, approvals: 1, enrolments: 1 });
  });

  it("a destroyed exam takes every record of it", async () => {
    const partner = await newPartner();
    // Scheduled later: an open exam whose start_time has come is running (issue 18 part 3) and cannot be destroyed.
    const later = Math.floor(Date.now() / 1000) + 3600;
    const exam = bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "Deletion 2", start_time: later } }), 201).exam.id;
    const s = bodyAt(await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: exam }, json: { email: `x.${crypto.randomUUID()}@example.org`, name: "S" } }), 201).student;
    await recordsIn(partner.institutionId, exam, s.student_id);
    expect((await partnerApi(examsDestroy, { credentials: partner, params: { id: exam } })).status).toBe(200);
    expect(await countsFor(exam, s.student_id)).toEqual({ alerts: 0, events: 0, feedback: 0, approvals: 0, enrolments: 0 });
    expect(await db().select().from(exams).where(eq(exams.id, exam))).toEqual([]);
  });
});

describe("erasing a student", () => {
  it("removes every database row at once and the template object after the access-token lifetime", async () => {
    const config = loadConfig(bindings);
    const victim = await newSession("STUDENT");
    const bystander = await newSession("STUDENT");
    const owner = ownerOf(victim.access);
    const d = db();
    // Data everywhere: templates, an exam with records, a failed login, a wallet export, a refresh family.
    await templatesOf(victim.access).enrolFace(owner, [unitVector(11)], FACE_MODEL_ID, Date.now());
    await templatesOf(bystander.access).enrolFace(ownerOf(bystander.access), [unitVector(12)], FACE_MODEL_ID, Date.now());
    const exam = await examWithEnrolment(victim.access);
    await d.insert(enrolments).values({ institutionId: owner.institutionId, examId: exam, studentId: ownerOf(bystander.access).studentId });
    await recordsIn(owner.institutionId, exam, owner.studentId);
    await recordsIn(owner.institutionId, exam, ownerOf(bystander.access).studentId);
    expect((await api(loginRoute, { json: { email: victim.user.email, password: "wrong password!", organization: "UCY" } })).status).toBe(401);
    const now = Date.now();
    await d.insert(walletExports).values({
      id: crypto.randomUUID(), institutionId: owner.institutionId, userId: owner.studentId, biometricType: "Face", modelId: FACE_MODEL_ID,
      templateVersion: 1, sealed: "sealed-export", createdAt: now, expiresAt: now + 86_400_000, pushStatus: "queued",
    });

    // A partner callback event quoting a session the partner has since deleted (no enrolment left to find it by; a
    // probe found its email and individual_info kept after erasure), and one of the bystander's.
    const callback = (studentId: number) => ({
      id: crypto.randomUUID(), institutionId: owner.institutionId, examId: exam, enrolmentId: 999_999_999,
      payload: JSON.stringify({ student_session: { student_id: studentId, email: "x@example.org", individual_info: "medical note" } }),
      createdAt: now, expiresAt: now + 86_400_000, nextAttemptAt: now,
    });
    const victimCallback = callback(owner.studentId);
    const bystanderCallback = callback(ownerOf(bystander.access).studentId);
    await d.insert(partnerCallbackOutbox).values([victimCallback, bystanderCallback]);

    await d.insert(erasureRequests).values({ institutionId: owner.institutionId, studentId: owner.studentId, requestedAt: now });
    // The job is shared with other tests' requests; what matters is this student's state afterwards.
    await runErasureJobs(bindings, d, config, now);

    const rows = async () => ({
      user: (await d.select().from(users).where(eq(users.id, owner.studentId))).length,
      families: (await d.select().from(refreshTokenFamilies).where(eq(refreshTokenFamilies.userId, owner.studentId))).length,
      attempts: (await d.select().from(loginAttempts).where(eq(loginAttempts.email, victim.user.email))).length,
      wallet: (await d.select().from(walletExports).where(eq(walletExports.userId, owner.studentId))).length,
      exam: await countsFor(exam, owner.studentId),
    });
    expect(await rows()).toEqual({ user: 0, families: 0, attempts: 0, wallet: 0, exam: { alerts: 0, events: 0, feedback: 0, approvals: 0, enrolments: 0 } });
    expect(await countsFor(exam, ownerOf(bystander.access).studentId)).toEqual({ alerts: 1, events: 1, feedback: 1, approvals: 1, enrolments: 1 });
    expect((await d.select({ id: partnerCallbackOutbox.id }).from(partnerCallbackOutbox).where(eq(partnerCallbackOutbox.examId, exam))).map((r) => r.id)).toEqual([bystanderCallback.id]);
    // The account is gone: no login, no refresh.
    expect((await api(loginRoute, { json: { email: victim.user.email, password: victim.user.password, organization: "UCY" } })).status).toBe(401);
    expect((await api(refreshTokenRoute, { json: { refresh: victim.refresh } })).status).toBe(401);
    // The templates wait until the last access token has expired.
    expect((await storedTemplates(victim.access)).templates).toEqual(["Face"]);
    // Meanwhile that token still works (SECURITY.md): a wallet export is refused as an account that no longer
    // exists (it was a 500), and what it writes (here a decision record, as a verification writes) goes later.
    const exportNow = await api(walletFaceRoute, { token: victim.access, json: { expoPushToken: "ExponentPushToken[erased]" } });
    expect(exportNow.status, JSON.stringify(exportNow.body)).toBe(401);
    await insertDecision(d, decisionRow({ institutionId: owner.institutionId, studentId: owner.studentId, modality: "face", action: "verify", endpoint: "/biometrics/face_verify", outcome: "accepted", now }));
    expect((await d.select().from(decisions).where(eq(decisions.studentId, owner.studentId))).length).toBe(1);

    // The failed login above, with the erased address, wrote a counter row again (a probe's survived both phases); once
    // untouched for a day (backdated here) and locking nothing, the scheduled run prunes it.
    expect((await d.select().from(loginAttempts).where(eq(loginAttempts.email, victim.user.email))).length).toBe(1);
    await d.update(loginAttempts).set({ updatedAt: now - 25 * 3600_000 }).where(eq(loginAttempts.email, victim.user.email));
    const later = now + config.accessTokenTtlSeconds * 1000 + 61_000;
    await runErasureJobs(bindings, d, config, later);
    expect(await storedTemplates(victim.access)).toEqual({ templates: [], owner: 0, versions: 0 });
    expect((await d.select().from(decisions).where(eq(decisions.studentId, owner.studentId))).length).toBe(0);
    expect((await storedTemplates(bystander.access)).templates).toEqual(["Face"]);
    const [request] = await d.select().from(erasureRequests).where(eq(erasureRequests.studentId, owner.studentId));
    expect(request).toMatchObject({ recordsErasedAt: now, templatesErasedAt: later });
    expect(await d.select().from(loginAttempts).where(eq(loginAttempts.email, victim.user.email))).toEqual([]);
  });

  it("refuses, with a 401, what an instructor removed by hand (SECURITY.md) asks with a still-valid access token", async () => {
    // A probe's add_exam was a 500 (the exam's instructor row was gone).
    const instructor = await newSession("INSTRUCTOR");
    const { studentId: userId } = ownerOf(instructor.access);
    const families = await db().select({ id: refreshTokenFamilies.id }).from(refreshTokenFamilies).where(eq(refreshTokenFamilies.userId, userId));
    for (const f of families) await db().delete(refreshTokens).where(eq(refreshTokens.familyId, f.id));
    await db().delete(refreshTokenFamilies).where(eq(refreshTokenFamilies.userId, userId));
    await db().delete(users).where(eq(users.id, userId));
    const res = await api(addExamRoute, {
      token: instructor.access,
      json: { name: "after removal", exam_type: "Written", duration: 60, scheduled_date: new Date(Date.now() + 3_600_000).toISOString(), privacy_policy: "p" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body).toEqual({ message: "This account no longer exists" });
  });

  it("prunes refresh-token families and invitations a day past their expiry, keeps the others", async () => {
    // A probe found families 60-83 days past expiry kept: login history nobody can use.
    const s = await newSession("STUDENT");
    const { institutionId, studentId } = ownerOf(s.access);
    const d = db();
    const now = Date.now();
    const family = (id: string, expiresAt: number) => ({ id, institutionId, userId: studentId, expiresAt });
    const [oldFamily, liveFamily] = [`old-${crypto.randomUUID()}`, `live-${crypto.randomUUID()}`];
    await d.insert(refreshTokenFamilies).values([family(oldFamily, now - 2 * 86_400_000), family(liveFamily, now + 86_400_000)]);
    await d.insert(refreshTokens).values([
      { id: crypto.randomUUID(), institutionId, familyId: oldFamily, expiresAt: now - 2 * 86_400_000 },
      { id: crypto.randomUUID(), institutionId, familyId: liveFamily, expiresAt: now + 86_400_000 },
    ]);
    const invite = (expiresAt: number) => ({ institutionId, userId: studentId, tokenHash: crypto.randomUUID(), createdAt: now - 9 * 86_400_000, expiresAt });
    await d.insert(invitations).values([invite(now - 2 * 86_400_000), invite(now + 86_400_000)]);
    await runErasureJobs(bindings, d, loadConfig(bindings), now);
    const families = (await d.select().from(refreshTokenFamilies).where(eq(refreshTokenFamilies.userId, studentId))).map((f) => f.id);
    expect(families).toContain(liveFamily);
    expect(families).not.toContain(oldFamily);
    expect(await d.select().from(refreshTokens).where(eq(refreshTokens.familyId, oldFamily))).toEqual([]);
    expect((await d.select().from(invitations).where(eq(invitations.userId, studentId))).map((i) => i.expiresAt)).toEqual([now + 86_400_000]);
  });

  it("leaves an instructor's request pending (their exams must be handed over first)", async () => {
    const instructor = await newSession("INSTRUCTOR");
    const { institutionId, studentId } = ownerOf(instructor.access);
    await db().insert(erasureRequests).values({ institutionId, studentId, requestedAt: Date.now() });
    await runErasureJobs(bindings, db(), loadConfig(bindings), Date.now());
    expect((await db().select().from(users).where(eq(users.id, studentId))).length).toBe(1);
    const [request] = await db().select().from(erasureRequests).where(eq(erasureRequests.studentId, studentId));
    expect(request!.recordsErasedAt).toBeNull();
  });
});
