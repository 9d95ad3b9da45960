// Issue 15: the decision paths write their records (docs/decisions.md, "Which decision paths write records"),
// through the real endpoints: what each record holds, that a refusal is recorded, that a malformed request is
// not, and that a replayed device report records nothing twice.
import { and, asc, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { decisions, exams, processPolicies } from "../../../src/db/schema";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as testRoute } from "../../../src/routes/biometrics/interaction-test";
import { faceRoute as monitoringFaceRoute, oralRoute } from "../../../src/routes/biometrics/monitoring-face";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { route as studentDecisions } from "../../../src/routes/student/decisions";
import { route as identificationRoute } from "../../../src/routes/student/identification";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { db, examWithEnrolment, ownerOf } from "../biometrics/fixtures";

const img = inject("faceImages");
const keystroke = inject("signalSamples").keystroke;

const recordsOf = async (token: string) =>
  db().select().from(decisions).where(eq(decisions.studentId, ownerOf(token).studentId)).orderBy(asc(decisions.createdAt));

async function startedExam(token: string, forbid?: string) {
  const examId = await examWithEnrolment(token);
  await db().update(exams).set({ status: "Started", startedAt: Date.now() }).where(eq(exams.id, examId));
  if (forbid) await db().insert(processPolicies).values({ institutionId: ownerOf(token).institutionId, examId, pattern: forbid });
  return examId;
}

describe("face paths with the real models", () => {
  it("register, verify refused and accepted, a monitoring frame with its process list, identification", { timeout: 180_000 }, async () => {
    if (!img.obama || !img.biden) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await startedExam(s.access, "anydesk*");
    expect((await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2!, img.gradient!], operating_sys: "Windows 11" } })).status).toBe(200);
    // Refused for quality (no face): recorded; undecodable: a malformed request, not recorded.
    expect((await api(faceVerifyRoute, { token: s.access, json: { image: img.gradient!, exam_id: examId } })).status).toBe(400);
    expect((await api(faceVerifyRoute, { token: s.access, json: { image: "aGVsbG8=", exam_id: examId } })).status).toBe(400);
    expect(bodyAt(await api(faceVerifyRoute, { token: s.access, json: { image: img.biden, exam_id: examId } }), 200).is_match).toBe(false);
    expect(bodyAt(await api(faceVerifyRoute, { token: s.access, json: { image: img.obama3!, exam_id: examId, operating_sys: "macOS" } }), 200).is_match).toBe(true);
    const frame = await api(oralRoute, { token: s.access, json: { image: img.biden, exam_id: examId, ip_address: "192.0.2.7", running_processes: "chrome.exe, AnyDesk.exe" } });
    expect(frame.status).toBe(200);
    expect((await api(identificationRoute, { token: s.access, json: { exam_id: examId, identification_result: img.obama3! } })).status).toBe(200);

    const r = await recordsOf(s.access);
    const labels = r.map((d) => `${d.action}/${d.modality}/${d.outcome}/${d.reason ?? ""}`);
    expect(labels.slice(0, 4)).toEqual(["register/face/accepted/", "verify/face/quality/no_face", "verify/face/mismatch/", "verify/face/accepted/"]);
    // One check of a frame and one of a process list, written in the same batch (same time: any order).
    expect(labels.slice(4, 6).sort()).toEqual(["monitoring/face/mismatch/", "monitoring/processes/flagged/forbidden_process"]);
    expect(labels.slice(6)).toEqual(["identification/face/accepted/"]);
    const [register, , mismatch, accepted] = r;
    expect(register).toMatchObject({ examId: null, endpoint: "/biometrics/face_register", modelId: "faceplugin-0.0.1-int8-v1", clientOs: "Windows 11", templateVersion: 1 });
    expect(register!.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(register!.scoringSha256).toBeNull(); // the face score is a cosine: code, no scoring file
    // The picture left out, and why, as the student was told (a probe read "Your face was registered." only).
    expect(register!.quality).toEqual({ pictures_used: 2, pictures_sent: 3, left_out: "images.2: no_face" });
    expect(mismatch).toMatchObject({ examId, securityLevel: "high", decideOn: "similarity", templateVersion: 1 });
    // Every comparison names the template it was compared with; a sample refused before any comparison, none.
    for (const d of r.filter((x) => x.score !== null)) expect(d.templateVersion, `${d.action}/${d.outcome}`).toBe(1);
    expect(r[1]!.templateVersion).toBeNull();
    // The refusal keeps what was measured, as a monitoring refusal does (a probe found it null).
    expect(r[1]!.quality).toMatchObject({ faces: 0 });
    expect(mismatch!.score).toBeLessThan(mismatch!.threshold!);
    expect(accepted).toMatchObject({ clientOs: "macOS" });
    expect(accepted!.score).toBeGreaterThanOrEqual(accepted!.threshold!);
    expect((accepted!.quality as any).liveness).toBeGreaterThan(0);
    const processes = r.find((d) => d.modality === "processes")!;
    expect(processes.alertsRaised).toEqual([{ reason: "forbidden_process", detail: "anydesk.exe" }]);
    expect(r.find((d) => d.action === "monitoring" && d.modality === "face")!.alertsRaised).toEqual([{ reason: "face_mismatch", detail: null }]);
    // /biometrics/verify with monitoring_type: the record goes with the exam's event, as a monitoring decision.
    const watched = await api(verifyRoute, {
      token: s.access,
      urlencoded: { biometric_type: "Face", voice_base64: img.biden, monitoring_type: "Exam Monitoring", exam_id: String(examId) },
    });
    expect(bodyAt(watched, 200).resource_array).toEqual(["face_mismatch"]);
    const [last] = (await recordsOf(s.access)).slice(-1);
    expect(last).toMatchObject({ action: "monitoring", endpoint: "/biometrics/verify", examId, outcome: "mismatch", alertsRaised: [{ reason: "face_mismatch", detail: null }] });
    // A monitoring frame with no face found was not judged: `quality` with its alert (the error report counts it as a
    // refusal per group; a probe saw genuine students' failed frames recorded as `flagged` and missing from it).
    expect(bodyAt(await api(monitoringFaceRoute, { token: s.access, json: { image: img.gradient!, exam_id: examId } }), 200).resource_array).toEqual(["no_face"]);
    const [unjudged] = (await recordsOf(s.access)).slice(-1);
    expect(unjudged).toMatchObject({ action: "monitoring", modality: "face", outcome: "quality", reason: "no_face", alertsRaised: [{ reason: "no_face", detail: null }] });
    // Never a sample: no record holds any of the pictures.
    for (const d of r) expect(JSON.stringify(d)).not.toContain(img.obama3!.slice(0, 40));
    // The student reads them all, explained.
    const mine = await api(studentDecisions, { token: s.access });
    expect(bodyAt(mine, 200).resource_array).toHaveLength(r.length + 2);
    expect(bodyAt(mine, 200).resource_array.find((d) => d.outcome === "quality")?.explanation).toContain("showed no face");
    expect(bodyAt(mine, 200).resource_array.find((d) => d.action === "register")?.explanation).toBe(
      "Your face was registered from 2 of the 3 pictures sent; the others were left out (images.2 showed no face); register again with 3 good pictures so that you are refused less often.",
    );
    expect(bodyAt(mine, 200).resource_array.find((d) => d.action === "monitoring" && d.outcome === "quality")?.explanation).toBe(
      "The picture showed no face, so it was not compared with your registered face. Your instructor sees this as an alert.",
    );
  });
});

describe("keystroke, device reports", () => {
  it("records training, a refused test without a model, and tests at the institution's level", async () => {
    const s = await newSession("STUDENT");
    expect((await api(testRoute, { token: s.access, json: { testing_dataset: keystroke.genuine } })).status).toBe(404);
    expect((await api(trainRoute, { token: s.access, json: { training_dataset: keystroke.train } })).status).toBe(200);
    expect(bodyAt(await api(testRoute, { token: s.access, json: { testing_dataset: keystroke.genuine } }), 200).is_match).toBe(true);
    expect(bodyAt(await api(testRoute, { token: s.access, json: { testing_dataset: keystroke.impostor } }), 200).is_match).toBe(false);
    const r = await recordsOf(s.access);
    expect(r.map((d) => `${d.action}/${d.outcome}`)).toEqual(["verify/not_enrolled", "register/accepted", "verify/accepted", "verify/mismatch"]);
    for (const d of r.slice(2)) expect(d).toMatchObject({ modality: "keystroke", decideOn: "distance", securityLevel: "high", modelId: "trustid-keystroke-knn-v3", templateVersion: 1 });
  });

  it("records the server's check of a device's process list once, even when the report is resent", async () => {
    const s = await newSession("STUDENT");
    const examId = await startedExam(s.access, "anydesk*");
    const report = { exam_id: examId, is_face_detected: false, running_processes: ["AnyDesk.exe"] };
    for (let i = 0; i < 2; i++) expect((await api(monitoringRoute, { token: s.access, json: report, headers: { "idempotency-key": "same-report" } })).status).toBe(200);
    expect((await api(monitoringRoute, { token: s.access, json: { exam_id: examId, is_face_detected: false } })).status).toBe(200);
    const r = await db().select().from(decisions).where(and(eq(decisions.studentId, ownerOf(s.access).studentId), eq(decisions.examId, examId)));
    // The device's own face result is its decision, not the server's: only the process list is recorded.
    expect(r.map((d) => `${d.modality}/${d.outcome}`)).toEqual(["processes/flagged"]);
    expect(r[0]!.endpoint).toBe("/monitoring");
  });
});
