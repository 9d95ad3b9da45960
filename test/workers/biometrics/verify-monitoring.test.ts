// Issue 18 part 4: /biometrics/verify honours `monitoring_type`: the verification is recorded as a
// monitoring event of the exam being sat and raises alerts as the monitoring endpoints do. Real models.
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { enrolments, exams, monitoringEvents } from "../../../src/db/schema";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { api, bodyAt, type RequestForm } from "../api";
import { newSession } from "../helpers";
import { db, examWithEnrolment } from "./fixtures";

const img = inject("faceImages");
const verify = (token: string, fields: Omit<RequestForm<typeof verifyRoute>, "biometric_type">) =>
  api(verifyRoute, { token, urlencoded: { biometric_type: "Face", ...fields } });
const eventsOf = (examId: number) => db().select().from(monitoringEvents).where(eq(monitoringEvents.examId, examId));

describe("/biometrics/verify with monitoring_type", () => {
  it("records the event and raises alerts for the named exam, or the exam being sat; nothing without it", { timeout: 120_000 }, async () => {
    if (!img.obama || !img.biden) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await examWithEnrolment(s.access);
    const reg = await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2!] } });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);

    // Not started yet: refused as the monitoring endpoints refuse it.
    expect((await verify(s.access, { voice_base64: img.obama3!, monitoring_type: "Exam Monitoring", exam_id: String(examId) })).status).toBe(400);
    // The exam decides at its own level, as the monitoring endpoints do (a probe's `standard` exam was decided at the
    // institution's `high` here, with a false face_mismatch).
    await db().update(exams).set({ status: "Started", startedAt: Date.now(), securityLevel: "standard" }).where(eq(exams.id, examId));

    const other = await verify(s.access, { voice_base64: img.biden, monitoring_type: "Exam Monitoring", exam_id: String(examId) });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(other.body).toMatchObject({ is_match: false, resource_array: ["face_mismatch"], resource_dict: { security_level: "standard" } });
    const [event] = await eventsOf(examId);
    expect(event).toMatchObject({ source: "server", monitoringType: "Exam Monitoring" });

    // Without monitoring_type (or with it sent empty, as form clients send unused fields): a plain verification, nothing recorded.
    const plain = await verify(s.access, { voice_base64: img.obama3! });
    expect(bodyAt(plain, 200).resource_array).toBeUndefined();
    expect(bodyAt(plain, 200).resource_dict.security_level).toBe("high"); // the institution's
    const blank = await verify(s.access, { voice_base64: img.obama3!, monitoring_type: "", exam_id: "" });
    expect(bodyAt(blank, 200).resource_array).toBeUndefined();
    expect(await eventsOf(examId)).toHaveLength(1);

    // Without exam_id: the exam the student has joined and is sitting.
    await db().update(enrolments).set({ joinedAt: Date.now() }).where(eq(enrolments.examId, examId));
    const same = await verify(s.access, { voice_base64: img.obama3!, monitoring_type: "Checkup Process" });
    expect(same.body).toMatchObject({ is_match: true, resource_array: [] });
    const events = await eventsOf(examId);
    expect(events.map((e) => e.monitoringType).sort()).toEqual(["Checkup Process", "Exam Monitoring"]);
  });
});
