// POST /biometrics/monitoring/: voice clips during the exam, checked on the server, become alerts.
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { alerts, decisions, exams, enrolments, monitoringEvents, processPolicies } from "../../../src/db/schema";
import { route as monitoringRoute } from "../../../src/routes/biometrics/monitoring";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { DEFAULT_VOICE_MODEL_ID } from "../../../src/biometrics/voice/model";
import { SCORING_SHA256 } from "../../../src/services/decisions/model-checksums";
import { api, bodyAt, type RequestForm } from "../api";
import { newSession } from "../helpers";
import { db, examWithEnrolment, ownerOf } from "./fixtures";

const voice = inject("signalSamples").voice;

const monitor = (token: string, fields: RequestForm<typeof monitoringRoute>) => api(monitoringRoute, { token, form: fields });

async function sittingExam(token: string) {
  const examId = await examWithEnrolment(token);
  await db().update(exams).set({ status: "Started", startedAt: Date.now() }).where(eq(exams.id, examId));
  await db().update(enrolments).set({ joinedAt: Date.now() }).where(eq(enrolments.examId, examId));
  return examId;
}

describe("voice monitoring", () => {
  it("recognises the student in the exam being sat, raises voice mismatch and forbidden processes, ignores silence", { timeout: 60_000 }, async () => {
    const s = await newSession("STUDENT");
    expect((await api(registerRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.enrol } })).status).toBe(201);
    // Not sitting an exam yet: nothing to attach the clip to.
    const early = await monitor(s.access, { voice_base64: voice.same });
    expect(early.status).toBe(400);
    expect(bodyAt(early, 400).bad_formatted_fields).toEqual(["exam_id"]);

    const examId = await sittingExam(s.access);
    await db().insert(processPolicies).values({ institutionId: ownerOf(s.access).institutionId, examId, pattern: "discord*" });

    const same = await monitor(s.access, { voice_base64: voice.same, voice_emb_data: "[0.1,0.2]", running_processes: "code.exe", ip_address: "192.0.2.5" });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ is_match: true, is_voice_detected: true, resource_dict: { exam_id: examId, outcome: "match" }, resource_array: [] });

    const other = await monitor(s.access, { voice_base64: voice.other, running_processes: "Discord.exe\nchrome.exe", exam_id: String(examId) });
    expect(other.status).toBe(200);
    expect(bodyAt(other, 200).is_match).toBe(false);
    expect(bodyAt(other, 200).resource_array.sort()).toEqual(["forbidden_process: discord.exe", "voice_mismatch"]);

    const silence = await monitor(s.access, { voice_base64: voice.silence });
    expect(silence.body).toMatchObject({ is_voice_detected: false, is_match: false, resource_array: [] });

    const events = await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId));
    expect(events).toHaveLength(3);
    // Outcomes and scores only: no audio in the stored events.
    for (const e of events) expect(JSON.stringify(e.payload).length).toBeLessThan(2000);
    // The decision records name the model and the scoring file the normalised score came from.
    const records = await db().select().from(decisions).where(eq(decisions.examId, examId));
    const voiceRecords = records.filter((d) => d.modality === "voice" && d.outcome !== "quality");
    expect(voiceRecords.map((d) => d.outcome).sort()).toEqual(["accepted", "mismatch"]);
    for (const d of voiceRecords) expect(d).toMatchObject({ modelId: DEFAULT_VOICE_MODEL_ID, scoringSha256: SCORING_SHA256[DEFAULT_VOICE_MODEL_ID] });
    // Each clip is decided with the exam's earlier clips of the same voice (src/biometrics/voice/window.ts): the
    // student's clip is the window's first; the other speaker's does not sound like it, so it is decided alone.
    const byOutcome = Object.fromEntries(voiceRecords.map((d) => [d.outcome, d.quality]));
    expect(byOutcome.accepted).toMatchObject({ decided_on: "window", window_clips: 1, below_floor: false });
    expect(byOutcome.mismatch).toMatchObject({ decided_on: "window", window_clips: 1 });
  });

  it("a clip resent with the same Idempotency-Key is checked and stored once and answered as the first time", { timeout: 60_000 }, async () => {
    // A probe's desktop app retried after a timeout: "voice_mismatch (2x); forbidden_process (2x)" for one clip.
    const s = await newSession("STUDENT");
    expect((await api(registerRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.enrol } })).status).toBe(201);
    const examId = await sittingExam(s.access);
    await db().insert(processPolicies).values({ institutionId: ownerOf(s.access).institutionId, examId, pattern: "discord*" });
    const send = (clip: string, key: string) =>
      api(monitoringRoute, { token: s.access, form: { voice_base64: clip, running_processes: "Discord.exe", exam_id: String(examId) }, headers: { "idempotency-key": key } });
    const first = await send(voice.other, "clip-1");
    const again = await send(voice.other, "clip-1");
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(1);
    expect((await db().select().from(alerts).where(eq(alerts.examId, examId))).map((a) => [a.reason, a.occurrences]).sort()).toEqual([
      ["forbidden_process", 1],
      ["voice_mismatch", 1],
    ]);
    expect(await db().select().from(decisions).where(eq(decisions.examId, examId))).toHaveLength(2);
    // The key with another clip is refused, and nothing of it is stored.
    const reused = await send(voice.same, "clip-1");
    expect(reused.status).toBe(400);
    expect(bodyAt(reused, 400).bad_formatted_fields).toEqual(["Idempotency-Key"]);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(1);
    // Five at once with one key: one event, and every answer is the stored one (a probe's duplicates were each checked,
    // answered with their own scores, and joined the voice window).
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => send(voice.same, "clip-2")));
    for (const r of five) expect(r.body).toEqual(five[0]!.body);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(2);
    // Resent without exam_id after the student left: the exam it was stored under (a probe got "not in a running examination").
    const unnamed = (key: string) => api(monitoringRoute, { token: s.access, form: { voice_base64: voice.other, running_processes: "Discord.exe" }, headers: { "idempotency-key": key } });
    await db().update(enrolments).set({ joinedAt: Date.now() }).where(eq(enrolments.examId, examId));
    const sat = await unnamed("clip-3");
    expect(sat.status).toBe(200);
    await db().update(enrolments).set({ leftAt: Date.now() + 1 }).where(eq(enrolments.examId, examId));
    expect((await unnamed("clip-3")).body).toEqual(sat.body);
    // Resent after the exam ended: still the first answer.
    await db().update(exams).set({ status: "Completed", endsAt: Date.now() }).where(eq(exams.id, examId));
    expect((await send(voice.other, "clip-1")).body).toEqual(first.body);
  });

  it("refuses undecodable audio, URLs and missing samples with 400s, storing nothing", async () => {
    const s = await newSession("STUDENT");
    const examId = await sittingExam(s.access);
    expect((await monitor(s.access, { voice_base64: btoa("not audio at all, just text") })).status).toBe(400);
    expect((await monitor(s.access, { src: "https://example.org/clip.wav" })).status).toBe(400);
    const missing = await monitor(s.access, { running_processes: "a.exe" });
    expect(missing.status).toBe(400);
    expect(bodyAt(missing, 400).missing_required_fields).toEqual(["voice_base64"]);
    expect((await api(monitoringRoute, { token: s.access, unchecked: { voice_base64: voice.same } })).status).toBe(415);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(0);
  });

  it("an unusable clip sent with running processes: the processes are still checked, the clip's problem is a client_error", async () => {
    const s = await newSession("STUDENT");
    const examId = await sittingExam(s.access);
    await db().insert(processPolicies).values({ institutionId: ownerOf(s.access).institutionId, examId, pattern: "anydesk*" });
    // A probe's AnyDesk went unrecorded behind a 400 for the clip.
    const res = await monitor(s.access, { voice_base64: btoa("not audio at all, just text"), running_processes: "AnyDesk.exe,chrome.exe" });
    const body = bodyAt(res, 200);
    expect(body.resource_dict).toMatchObject({ exam_id: examId, outcome: "voice_error", voice_error: expect.stringMatching(/^undecodable: /) });
    expect(body.resource_array.sort()).toEqual([expect.stringMatching(/^client_error: voice: undecodable/), "forbidden_process: anydesk.exe"]);
    expect(await db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId))).toHaveLength(1);
    const records = await db().select().from(decisions).where(eq(decisions.examId, examId));
    expect(records.map((d) => [d.modality, d.outcome])).toEqual([["processes", "flagged"]]);
    // Nor when the clip cannot even be read from the request (not base64).
    const unreadable = bodyAt(await monitor(s.access, { voice_base64: "%%% not base64 %%%", running_processes: "AnyDesk.exe" }), 200);
    expect(unreadable.resource_dict.outcome).toBe("voice_error");
    expect(unreadable.resource_array).toContain("forbidden_process: anydesk.exe");
  });

  it("one clip problem repeating is one alert episode: its detail is the problem's code, not the measured figures", async () => {
    // A probe's three too-short clips (0.5, 0.4, 0.6 s) opened three client_error alerts, one per length.
    const s = await newSession("STUDENT");
    const examId = await sittingExam(s.access);
    const short = (seconds: number) => {
      const n = Math.round(seconds * 16000);
      const wav = new Uint8Array(44 + 2 * n);
      const v = new DataView(wav.buffer);
      [..."RIFF"].forEach((ch, i) => v.setUint8(i, ch.charCodeAt(0)));
      v.setUint32(4, 36 + 2 * n, true);
      [..."WAVEfmt "].forEach((ch, i) => v.setUint8(8 + i, ch.charCodeAt(0)));
      v.setUint32(16, 16, true);
      v.setUint16(20, 1, true);
      v.setUint16(22, 1, true);
      v.setUint32(24, 16000, true);
      v.setUint32(28, 32000, true);
      v.setUint16(32, 2, true);
      v.setUint16(34, 16, true);
      [..."data"].forEach((ch, i) => v.setUint8(36 + i, ch.charCodeAt(0)));
      v.setUint32(40, 2 * n, true);
      for (let i = 0; i < n; i++) v.setInt16(44 + 2 * i, Math.round(8000 * Math.sin(i / 7)), true);
      return btoa(String.fromCharCode(...wav));
    };
    for (const seconds of [0.5, 0.4, 0.6]) {
      const res = await monitor(s.access, { voice_base64: short(seconds), running_processes: "chrome.exe" });
      expect(bodyAt(res, 200).resource_dict.voice_error).toMatch(/^too_short: audio is 0\.\d0 s long/);
    }
    const rows = await db().select().from(alerts).where(eq(alerts.examId, examId));
    expect(rows.map((a) => [a.reason, a.detail, a.occurrences])).toEqual([["client_error", "voice: too_short", 3]]);
  });
});
