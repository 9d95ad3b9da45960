// Server-side face monitoring (/biometrics/monitoring_face/, /monitoring_face_oral/) and
// /student/identification: one slow test through the real models, fast tests for the rest.
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { alerts, enrolments, exams, monitoringEvents, processPolicies } from "../../../src/db/schema";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { faceRoute, oralRoute } from "../../../src/routes/biometrics/monitoring-face";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as identificationRoute } from "../../../src/routes/student/identification";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { claimsOf, db, enrolmentOf, examWithEnrolment, ownerOf } from "./fixtures";
import { env } from "cloudflare:test";
import type { Bindings } from "../../../src/env";
import { monitorFace } from "../../../src/services/monitoring/face";
import { encodeWav16, parseWav } from "../../../src/biometrics/voice/wav";

const img = inject("faceImages");
const voice = inject("signalSamples").voice;

async function startedExam(token: string) {
  const examId = await examWithEnrolment(token);
  await db().update(exams).set({ status: "Started", startedAt: Date.now() }).where(eq(exams.id, examId));
  return examId;
}

const eventsOf = async (examId: number) => db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId));

describe("face monitoring and identification with the real models", () => {
  it("recognises the student, raises mismatch, several-faces and forbidden-process alerts, verifies by identification", { timeout: 120_000 }, async () => {
    if (!img.obama || !img.biden) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await startedExam(s.access);
    await db().insert(processPolicies).values({ institutionId: ownerOf(s.access).institutionId, examId, pattern: "anydesk*" });
    const reg = await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2!] } });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);

    const same = await api(faceRoute, { token: s.access, json: { image: img.obama3!, exam_id: examId } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ resource_bool: true, resource_dict: { outcome: "match", faces: 1 }, resource_array: [] });

    const oral = await api(oralRoute, {
      token: s.access,
      json: { image: img.biden, exam_id: examId, ip_address: "192.0.2.7", running_processes: "chrome.exe, AnyDesk.exe" },
    });
    expect(oral.status, JSON.stringify(oral.body)).toBe(200);
    expect(bodyAt(oral, 200).resource_bool).toBe(false);
    expect(bodyAt(oral, 200).resource_array.sort()).toEqual(["face_mismatch", "forbidden_process: anydesk.exe"]);

    if (img.group) {
      const group = await api(faceRoute, { token: s.access, json: { image: img.group, exam_id: examId } });
      expect(bodyAt(group, 200).resource_array).toContain("multiple_faces");
    }
    // Every event is stored without any picture in it.
    const events = await eventsOf(examId);
    expect(events.length).toBe(img.group ? 3 : 2);
    for (const e of events) expect(JSON.stringify(e.payload)).not.toContain(img.obama3!.slice(0, 40));

    // Identification with a picture verifies the student for the exam.
    const id = await api(identificationRoute, { token: s.access, json: { exam_id: examId, identification_result: img.obama3! } });
    expect(id.status, JSON.stringify(id.body)).toBe(200);
    expect(id.body).toMatchObject({ resource_bool: true, resource_str: "match" });
    expect(await enrolmentOf(examId, s.access)).toMatchObject({ verificationStatus: "Verified", verifiedBy: "face" });

    // A frame resent with the same Idempotency-Key (after a timeout) is checked and stored once (a probe's retry
    // counted "face_mismatch (2x)" with two decision records).
    const before = (await eventsOf(examId)).length;
    const keyed = () => api(faceRoute, { token: s.access, json: { image: img.biden!, exam_id: examId }, headers: { "idempotency-key": "frame-1" } });
    const first = await keyed();
    expect(bodyAt(first, 200).resource_array).toEqual(["face_mismatch"]);
    expect((await keyed()).body).toEqual(first.body);
    expect((await eventsOf(examId)).length).toBe(before + 1);
  });

  it("oral exams: a voice clip with the frame makes the decision a fused face + voice one", { timeout: 120_000 }, async () => {
    if (!img.obama) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await startedExam(s.access);
    expect((await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2!] } })).status).toBe(200);
    const oral = (clip: string) =>
      api(oralRoute, { token: s.access, json: { image: img.obama3!, exam_id: examId, ip_address: "192.0.2.7", running_processes: "code.exe", voice_base64: clip } });
    // No voice template yet: the face decides alone, and says so.
    const faceOnly = await oral(voice.same);
    expect(faceOnly.status, JSON.stringify(faceOnly.body)).toBe(200);
    expect(faceOnly.body).toMatchObject({ resource_bool: true, resource_dict: { outcome: "match", decided_on: "face", security_level: "high" } });
    expect((await api(registerRoute, { token: s.access, form: { biometric_type: "Voice", voice_base64: voice.enrol } })).status).toBe(201);
    const fused = await oral(voice.same);
    expect(fused.body).toMatchObject({ resource_bool: true, resource_dict: { outcome: "match", decided_on: "fused", security_level: "high" } });
    expect(bodyAt(fused, 200).resource_dict.fused_score!).toBeGreaterThanOrEqual(bodyAt(fused, 200).resource_dict.fused_threshold!);
    // The student's own voice does not carry another person's face, and their own face does not carry another
    // person's voice: each is refused and named (fusion floors).
    const otherFace = await api(oralRoute, { token: s.access, json: { image: img.biden!, exam_id: examId, ip_address: "192.0.2.7", running_processes: "code.exe", voice_base64: voice.same } });
    expect(otherFace.body, JSON.stringify(otherFace.body)).toMatchObject({ resource_bool: false, resource_array: ["face_mismatch"], resource_dict: { decided_on: "fused", refused_for: ["face"] } });
    const otherVoice = await oral(voice.other);
    expect(otherVoice.body, JSON.stringify(otherVoice.body)).toMatchObject({ resource_bool: false, resource_array: ["voice_mismatch"], resource_dict: { decided_on: "fused", refused_for: ["voice"] } });
    // An unreadable clip does not stop the frame from being judged (a client attaching a broken clip to every frame
    // would otherwise escape every face and process alert): the face decides alone, the clip's problem is answered
    // and raised, and the frame is recorded.
    const before = (await eventsOf(examId)).length;
    const bad = await oral(btoa("not audio at all"));
    expect(bad.status, JSON.stringify(bad.body)).toBe(200);
    expect(bodyAt(bad, 200).resource_dict).toMatchObject({ outcome: "match", voice_error: expect.stringMatching(/^undecodable/) });
    expect(bodyAt(bad, 200).resource_array).toEqual([expect.stringMatching(/^client_error: voice: undecodable/)]);
    expect((await eventsOf(examId)).length).toBe(before + 1);
    const badOther = await api(oralRoute, { token: s.access, json: { image: img.biden!, exam_id: examId, ip_address: "192.0.2.7", running_processes: "anydesk.exe", voice_base64: btoa("not audio at all") } });
    expect(bodyAt(badOther, 200).resource_array).toEqual(expect.arrayContaining(["face_mismatch", "forbidden_process: anydesk.exe"]));
    // A clip that is not even base64 is still a 400 naming the field.
    expect((await oral("%%% not base64 %%%")).status).toBe(400);

    // A copied frame (a looped picture, past the 30 s a client's retry is given) with a new clip of another speaker:
    // the frame is not judged, but the clip is, alone (a probe got no voice evidence from any repeated oral frame).
    const { institutionId, studentId } = ownerOf(s.access);
    const caller = { userId: studentId, institutionId, role: "STUDENT" as const, institutionCode: claimsOf(s.access).inst };
    const bytes = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    // The clips' second halves: recordings not sent before (a clip sent earlier would itself be a copy).
    const secondHalf = (b64: string) => {
      const { samples, sampleRate } = parseWav(bytes(b64));
      return encodeWav16([samples.subarray(Math.floor(samples.length / 2))], sampleRate);
    };
    const looped = await monitorFace(env as unknown as Bindings, db(), caller, { examId, image: bytes(img.obama3!), clip: secondHalf(voice.other), runningProcesses: ["code.exe"] }, Date.now() + 40_000);
    expect(looped.match.outcome).toBe("repeated");
    expect(looped.voiceAlone).toMatchObject({ outcome: "mismatch" });
    expect(looped.alerts.map((a) => (a.detail ? `${a.reason}: ${a.detail}` : a.reason)).sort()).toEqual(["repeated_sample: face", "voice_mismatch"]);
    // A student with a voice template but no face template: the clip is judged alone (a probe's was ignored).
    const voiceOnly = await newSession("STUDENT");
    const voiceOnlyExam = await startedExam(voiceOnly.access);
    expect((await api(registerRoute, { token: voiceOnly.access, form: { biometric_type: "Voice", voice_base64: voice.enrol } })).status).toBe(201);
    const noFaceTemplate = await api(oralRoute, { token: voiceOnly.access, json: { image: img.obama3!, exam_id: voiceOnlyExam, ip_address: "192.0.2.7", running_processes: "code.exe", voice_base64: voice.other } });
    expect(noFaceTemplate.body, JSON.stringify(noFaceTemplate.body)).toMatchObject({
      resource_dict: { outcome: "not_enrolled", decided_on: "voice", voice_outcome: "mismatch" },
      resource_array: expect.arrayContaining(["template_missing: face: not_enrolled", "voice_mismatch"]),
    });
    const ownVoice = await monitorFace(env as unknown as Bindings, db(), caller, { examId, image: bytes(img.obama3!), clip: secondHalf(voice.same), runningProcesses: ["code.exe"] }, Date.now() + 50_000);
    expect(ownVoice.voiceAlone).toMatchObject({ outcome: "match" });
  });
});

describe("face monitoring without inference", () => {
  it("refuses exams that have not started, unknown exams and bad input, storing nothing", async () => {
    const s = await newSession("STUDENT");
    const upcoming = await examWithEnrolment(s.access);
    const notStarted = await api(faceRoute, { token: s.access, json: { image: "AAAA", exam_id: upcoming } });
    expect(notStarted.status).toBe(400);
    expect(expect400Shape(bodyAt(notStarted, 400)).bad_formatted_fields).toEqual(["exam_id"]);
    const unknown = await api(faceRoute, { token: s.access, json: { image: "AAAA", exam_id: 999999999 } });
    expect(unknown.status).toBe(404);
    const started = await startedExam(s.access);
    const badIp = await api(oralRoute, {
      token: s.access,
      json: { image: "AAAA", exam_id: started, ip_address: "not-an-ip", running_processes: "a.exe" },
    });
    // An ip_address that is not an IP is accepted as the original did (issue 18 part 4): only the image is refused.
    expect(badIp.status).toBe(400);
    expect(bodyAt(badIp, 400).bad_formatted_fields).not.toContain("ip_address");
    const longIp = await api(oralRoute, {
      token: s.access,
      json: { image: "AAAA", exam_id: started, ip_address: "x".repeat(101), running_processes: "a.exe" },
    });
    expect(bodyAt(longIp, 400).bad_formatted_fields).toContain("ip_address");
    const missing = await api(oralRoute, { token: s.access, unchecked: { exam_id: started } });
    expect(bodyAt(missing, 400).missing_required_fields.sort()).toEqual(["image", "ip_address", "running_processes"]);
    const url = await api(faceRoute, { token: s.access, json: { image: "https://example.org/me.jpg", exam_id: started } });
    expect(url.status).toBe(400);
    expect(await eventsOf(started)).toHaveLength(0);
  });

  it("records a device's textual identification result without verifying anyone", async () => {
    const s = await newSession("STUDENT");
    const examId = await examWithEnrolment(s.access);
    const claimed = await api(identificationRoute, { token: s.access, json: { exam_id: examId, identification_result: "match" } });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ resource_bool: false, resource_str: "recorded", resource_array: [] });
    expect(await enrolmentOf(examId, s.access)).toMatchObject({ verificationStatus: "Pending" });
    const someoneElse = await api(identificationRoute, { token: s.access, json: { exam_id: examId, identification_result: "mismatch" } });
    expect(bodyAt(someoneElse, 200).resource_array).toEqual(["face_mismatch"]);
    const { studentId } = ownerOf(s.access);
    const raised = await db().select().from(alerts).where(and(eq(alerts.examId, examId), eq(alerts.studentId, studentId)));
    expect(raised.map((a) => a.reason)).toEqual(["face_mismatch"]);
    const [enrolment] = await db().select().from(enrolments).where(eq(enrolments.examId, examId));
    expect(enrolment?.verificationStatus).toBe("Pending");
  });

  it("is for students only, with a valid token", async () => {
    const instructor = await newSession("INSTRUCTOR");
    expect((await api(identificationRoute, { token: instructor.access, json: { exam_id: 1, identification_result: "x" } })).status).toBe(403);
    expect((await api(faceRoute, { json: { exam_id: 1, image: "x" } })).status).toBe(401);
  });
});
