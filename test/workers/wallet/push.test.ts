// Push notices through the Expo push protocol (the fake service in test/support/fake-expo.ts): success
// tickets and receipts, error tickets (DeviceNotRegistered, MessageTooBig, MessageRateExceeded), HTTP
// 429 with backoff, receipts not ready yet, receipts with errors; and the endpoints' input rules.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { walletExports } from "../../../src/db/schema";
import { loadConfig, type Bindings } from "../../../src/env";
import worker from "../../../src/index";
import { isExpoPushToken } from "../../../src/services/wallet/expo-push";
import { backoffMs, processPush } from "../../../src/services/wallet/push";
import { route as pushNotification } from "../../../src/routes/biometrics/push-notification";
import { route as walletFace } from "../../../src/routes/biometrics/wallet-face";
import { route as walletHandwriting } from "../../../src/routes/biometrics/wallet-handwriting";
import { route as walletSend } from "../../../src/routes/biometrics/wallet-send";
import { route as walletStatus } from "../../../src/routes/biometrics/wallet-status";
import { route as walletVoice } from "../../../src/routes/biometrics/wallet-voice";
import { api, bodyAt, raw, type BodyAt } from "../api";
import { newSession } from "../helpers";
import { db, enrolFace, expoSent, pushToken } from "./fixtures";

const config = () => loadConfig(env as unknown as Bindings);
const rowOf = async (id: string) => (await db().select().from(walletExports).where(eq(walletExports.id, id)))[0]!;

async function exportWith(kind: string) {
  const s = await newSession("STUDENT");
  await enrolFace(s.access, 400 + Math.floor(Math.random() * 1000));
  const token = pushToken(kind);
  const res = await api(walletFace, { token: s.access, json: { expoPushToken: token } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const view = bodyAt(res, 200).resource_dict;
  return { s, token, view, id: view.export_id };
}

describe("push notices", () => {
  it("success: ticket, then receipt; the notice carries no template; access token sent", async () => {
    const { s, token, view, id } = await exportWith("ok");
    expect(view.push).toMatchObject({ status: "sent", attempts: 1 });
    expect(view.push.ticket_id).toMatch(/^ticket-/);
    const [sent] = await expoSent(token);
    expect(sent!.headers.authorization).toBe(`Bearer ${(env as unknown as Bindings).EXPO_ACCESS_TOKEN}`);
    expect(sent!.message).toMatchObject({ to: token, priority: "high", data: { export_id: id, biometric_type: "Face" } });
    const row = await rowOf(id);
    expect(JSON.stringify(sent!.message)).not.toContain(row.sealed.slice(0, 40));
    expect(JSON.stringify(sent!.message).length).toBeLessThan(1000);
    const st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face.export!.push).toMatchObject({ status: "delivered", error: null, next_attempt_at: null });
  });

  it("DeviceNotRegistered in the ticket: failed, the token forgotten, the export kept", async () => {
    const { s, id, view } = await exportWith("unregistered");
    expect(view.push).toMatchObject({ status: "failed", error: "DeviceNotRegistered" });
    const row = await rowOf(id);
    expect(row.pushToken).toBeNull();
    expect(row.nextAttemptAt).toBeNull();
    const inbox = await api(pushNotification, { token: s.access });
    expect(bodyAt(inbox, 200).resource_dict.exports[0]!.export_id).toBe(id);
  });

  it("DeviceNotRegistered in the receipt: failed and forgotten, also on the student's other queued exports", async () => {
    const { s, token, id } = await exportWith("gone");
    // A second export to the same token, left queued (as if its send were due later).
    const second = await api(walletFace, { token: s.access, json: { expoPushToken: token } });
    const id2 = bodyAt(second, 200).resource_dict.export_id;
    await db().update(walletExports).set({ pushStatus: "queued", nextAttemptAt: Date.now() + 3_600_000, pushTicketId: null }).where(eq(walletExports.id, id2));
    await processPush(db(), config(), { ids: [id] }, Date.now());
    expect(await rowOf(id)).toMatchObject({ pushStatus: "failed", pushError: "DeviceNotRegistered", pushToken: null });
    expect(await rowOf(id2)).toMatchObject({ pushStatus: "failed", pushError: "DeviceNotRegistered", pushToken: null });
  });

  it("HTTP 429: queued with backoff (Retry-After honoured), sent on a later run", async () => {
    const { id, view, token } = await exportWith("busy2");
    expect(view.push).toMatchObject({ status: "queued", attempts: 1 });
    expect(view.push.error).toMatch(/RATE_LIMIT_EXCEEDED|429/);
    const r1 = await rowOf(id);
    expect(r1.nextAttemptAt! - r1.pushUpdatedAt!).toBe(backoffMs(1, 1000));
    // Not due yet: nothing happens.
    expect(await processPush(db(), config(), { ids: [id] }, r1.pushUpdatedAt! + 1000)).toMatchObject({ sent: 0, retrying: 0 });
    // Due: 429 again, the pause doubles.
    await processPush(db(), config(), { ids: [id] }, r1.nextAttemptAt!);
    const r2 = await rowOf(id);
    expect(r2).toMatchObject({ pushStatus: "queued", pushAttempts: 2 });
    expect(r2.nextAttemptAt! - r1.nextAttemptAt!).toBe(backoffMs(2));
    await processPush(db(), config(), { ids: [id] }, r2.nextAttemptAt!);
    expect(await rowOf(id)).toMatchObject({ pushStatus: "sent", pushAttempts: 3, pushError: null });
    expect(await expoSent(token)).toHaveLength(1); // the 429s were not deliveries
  });

  it("MessageRateExceeded: in a ticket, resent later; in a receipt, resent later", async () => {
    const t = await exportWith("ticketrate");
    expect(t.view.push).toMatchObject({ status: "queued", error: "MessageRateExceeded" });
    const r = await rowOf(t.id);
    await processPush(db(), config(), { ids: [t.id] }, r.nextAttemptAt!);
    expect(await rowOf(t.id)).toMatchObject({ pushStatus: "sent", pushAttempts: 2 });

    const d = await exportWith("dropped");
    expect(d.view.push.status).toBe("sent");
    const now = Date.now();
    await processPush(db(), config(), { ids: [d.id] }, now);
    const dropped = await rowOf(d.id);
    expect(dropped).toMatchObject({ pushStatus: "queued", pushError: "MessageRateExceeded", pushTicketId: null });
    await processPush(db(), config(), { ids: [d.id] }, dropped.nextAttemptAt!);
    expect((await rowOf(d.id)).pushStatus).toBe("sent");
    await processPush(db(), config(), { ids: [d.id] }, dropped.nextAttemptAt! + 1000);
    expect((await rowOf(d.id)).pushStatus).toBe("delivered");
  });

  it("MessageTooBig: failed, not retried", async () => {
    const { view, id } = await exportWith("toobig");
    expect(view.push).toMatchObject({ status: "failed" });
    expect(view.push.error).toMatch(/^MessageTooBig/);
    expect((await rowOf(id)).nextAttemptAt).toBeNull();
  });

  it("receipt not ready yet: read again later", async () => {
    const { s, id } = await exportWith("late");
    let st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face.export!.push.status).toBe("sent");
    const r = await rowOf(id);
    expect(r.nextAttemptAt).toBeGreaterThan(Date.now());
    await processPush(db(), config(), { ids: [id] }, r.nextAttemptAt!);
    st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face.export!.push.status).toBe("delivered");
  });

  it("the scheduled handler sends what is due", async () => {
    const { id } = await exportWith("busy1");
    const r = await rowOf(id);
    expect(r.pushStatus).toBe("queued");
    await db().update(walletExports).set({ nextAttemptAt: Date.now() - 1 }).where(eq(walletExports.id, id));
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env as unknown as Bindings, ctx);
    await waitOnExecutionContext(ctx);
    expect((await rowOf(id)).pushStatus).toBe("sent");
  });

  it("a newer export supersedes a notice still queued; EXPO_PUSH_URL=disabled sends nothing", async () => {
    const { s, id, token } = await exportWith("busy5");
    expect((await rowOf(id)).pushStatus).toBe("queued");
    // The path with a trailing slash too (no route definition spells it so: raw, read as the route's 200).
    const newer = await raw(`/backend${walletFace.path}/`, { token: s.access, headers: { "content-type": "application/json" }, body: JSON.stringify({ expoPushToken: token }) });
    expect(newer.status).toBe(200);
    expect(await rowOf(id)).toMatchObject({ pushStatus: "failed", pushError: "superseded by a newer export", nextAttemptAt: null });
    const id2 = (newer.body as BodyAt<typeof walletFace, 200>).resource_dict.export_id;
    // Made in the same millisecond (a probe's four at once), the later one is the latest: status names it, not the
    // superseded one.
    await db().update(walletExports).set({ createdAt: 1_900_000_000_000 }).where(eq(walletExports.userId, (await rowOf(id)).userId));
    expect(bodyAt(await api(walletStatus, { token: s.access }), 200).resource_obj.Face.export!.export_id).toBe(id2);
    const off = { ...config(), wallet: { ...config().wallet, expoPushUrl: "disabled" as const } };
    await db().update(walletExports).set({ pushStatus: "queued", nextAttemptAt: 0 }).where(eq(walletExports.id, id2));
    const before = (await expoSent(token)).length;
    await processPush(db(), off, { ids: [id2] }, Date.now());
    expect((await rowOf(id2)).pushError).toMatch(/disabled/);
    expect(await expoSent(token)).toHaveLength(before);
  });

  it("gives up after the last attempt", async () => {
    const { id } = await exportWith("busy99");
    for (let i = 0; i < 10; i++) {
      const r = await rowOf(id);
      if (r.nextAttemptAt === null) break;
      await processPush(db(), config(), { ids: [id] }, r.nextAttemptAt);
    }
    const r = await rowOf(id);
    expect(r).toMatchObject({ pushStatus: "failed", pushAttempts: 8, nextAttemptAt: null });
    expect(r.pushError).toMatch(/gave up after 8 attempts/);
  });
});

describe("wallet endpoints: input and who may call", () => {
  it("expo push token format", () => {
    for (const ok of ["ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", "ExpoPushToken[abc-DEF_123]"]) expect(isExpoPushToken(ok), ok).toBe(true);
    for (const bad of ["", "ExponentPushToken[]", "ExponentPushToken[a b]", "token", "ExponentPushToken[x]x", "FCM[abc]"]) expect(isExpoPushToken(bad), bad).toBe(false);
  });

  it("401, 403, 400 for a bad token, 404 without a template (Face, Voice, Handwriting)", async () => {
    expect((await api(walletFace, { json: { expoPushToken: pushToken("ok") } })).status).toBe(401);
    expect((await api(walletStatus)).status).toBe(401);
    expect((await api(pushNotification)).status).toBe(401);
    expect((await api(walletSend, { json: { face_embeddings: "x" } })).status).toBe(401);
    const i = await newSession("INSTRUCTOR");
    expect((await api(walletStatus, { token: i.access })).status).toBe(403);
    const s = await newSession("STUDENT");
    const missing = await api(walletFace, { token: s.access, unchecked: {} });
    expect(missing.status).toBe(400);
    expect(bodyAt(missing, 400).missing_required_fields).toEqual(["expoPushToken"]);
    const bad = await api(walletFace, { token: s.access, json: { expoPushToken: "not-a-token" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(["expoPushToken"]);
    const none = await api(walletFace, { token: s.access, json: { expoPushToken: pushToken("ok") } });
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ resource_name: "face", resource_str: "Face" }); // the spec's 404_2 names user, face or voice
    for (const route of [walletVoice, walletHandwriting]) {
      const r = await api(route, { token: s.access, json: { expoPushToken: pushToken("ok") } });
      expect(r.status).toBe(404);
      // Both are available now; the student simply has none enrolled.
      expect(bodyAt(r, 404).message).toMatch(/^No (Voice|Handwriting) template is registered for this student/);
    }
    const inbox = await api(pushNotification, { token: s.access });
    expect(inbox.body).toMatchObject({ resource_array: [], resource_dict: { exports: [] } });
    const badId = await api(pushNotification, { token: s.access, query: { export_id: "nope" } });
    expect(badId.status).toBe(400);
    const unknown = await api(pushNotification, { token: s.access, query: { export_id: crypto.randomUUID() } });
    expect(unknown.status).toBe(404);
  });

  it("one student cannot fetch another's export", async () => {
    const { id } = await exportWith("ok");
    const other = await newSession("STUDENT");
    expect((await api(pushNotification, { query: { export_id: id }, token: other.access })).status).toBe(404);
  });
});
