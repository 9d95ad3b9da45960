// Decision records, the parts that need no database: the model checksums agree with the model cards, the
// explanations read as documented (docs/decisions.md), and the cohort report's warning rule.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../src/biometrics/face/policy";
import { DEFAULT_VOICE_MODEL_ID } from "../../src/biometrics/voice/model";
import { explain } from "../../src/services/decisions/explain";
import { MODEL_SHA256, SCORING_SHA256 } from "../../src/services/decisions/model-checksums";
import type { DecisionRow } from "../../src/services/decisions/record";
import { buildReport } from "../../src/services/decisions/report";

const row = (over: Partial<DecisionRow>): DecisionRow => ({
  id: "d", institutionId: 1, studentId: 2, examId: 3, modality: "face", action: "verify", endpoint: "/biometrics/face_verify",
  outcome: "accepted", reason: null, score: null, threshold: null, decideOn: "similarity", securityLevel: "high", modelId: null,
  modelSha256: null, scoringSha256: null, templateVersion: null, quality: null, alertsRaised: null, clientOs: null, clientDevice: null, requestId: null,
  createdAt: 0, contestText: null, contestedAt: null, resolution: null, resolutionReason: null, resolvedBy: null, resolvedAt: null,
  ...over,
});

describe("model checksums", () => {
  it("are the sha256 the model cards give for the files that compute the compared embeddings", () => {
    const models = readFileSync("wasm-models/MODELS.md", "utf8");
    const voice = readFileSync("wasm-models/VOICE.md", "utf8");
    expect(models).toMatch(new RegExp(`\`fr_feature\\.onnx\`.*\`${MODEL_SHA256[FACE_MODEL_ID]}\` \\|`));
    expect(voice).toContain(`| sha256 | \`${MODEL_SHA256[DEFAULT_VOICE_MODEL_ID]}\` |`);
  });

  it("name the voice scoring file the service ships (PLDA + cohort), as its model card does", () => {
    const shipped = createHash("sha256").update(readFileSync("wasm-models/voice-cohort.json")).digest("hex");
    expect(SCORING_SHA256[DEFAULT_VOICE_MODEL_ID]).toBe(shipped);
    expect(readFileSync("wasm-models/VOICE.md", "utf8")).toContain(`\`voice-cohort.json\` (sha256 \`${shipped}\`)`);
  });
});

describe("explanations", () => {
  it("say what was compared, the score and what the level needed", () => {
    expect(explain(row({ score: 0.71, threshold: 0.52, examId: null }))).toBe("The picture matched your registered face: similarity 0.71, the level 'high' needs at least 0.52.");
    expect(explain(row({ modality: "handwriting", outcome: "mismatch", decideOn: "distance", score: 1.8, threshold: 1.2 }))).toBe(
      "The signature did not match your registered signatures: distance 1.80, the level 'high' accepts at most 1.20. You were not marked verified; you may try again or ask for manual approval.",
    );
    expect(explain(row({ action: "monitoring", outcome: "quality", reason: "liveness_failed", quality: { liveness: 0.12 } }))).toContain("(liveness score 0.12)");
    // A copy says "not compared" once, refused or flagged (a probe read "so it was not compared, so it was not compared").
    for (const outcome of ["quality", "flagged"] as const) {
      const text = explain(row({ modality: "keystroke", outcome, reason: "repeated_sample" }));
      expect(text.match(/not compared/g)).toHaveLength(1);
    }
    expect(explain(row({ outcome: "accepted", reason: "verification_withdrawn", score: 0.8, threshold: 0.44 }))).toMatch(/matched .* It did not verify you for the exam/);
    expect(explain(row({ modality: "processes", action: "monitoring", outcome: "flagged", decideOn: null, alertsRaised: [{ reason: "forbidden_process", detail: "anydesk.exe" }] }))).toBe(
      "A program the exam forbids was running: anydesk.exe. Your instructor sees this as an alert.",
    );
  });

  it("say when a voice clip was decided with the exam's previous clips, or alone under the floor", () => {
    const voice = { modality: "voice" as const, action: "monitoring" as const, threshold: 2.36 };
    const window = (clips: number, clipScore: number, belowFloor: boolean) => ({
      speech_seconds: 3,
      decided_on: "window",
      window_clips: clips,
      clip_score: clipScore,
      clip_floor: -1.535,
      below_floor: belowFloor,
    });
    expect(explain(row({ ...voice, outcome: "accepted", score: 3.1, quality: window(3, 1.9, false) }))).toBe(
      "The recording matched your registered voice: similarity of this recording together with your 2 previous ones 3.10, the level 'high' needs at least 2.36 (this recording alone: 1.90).",
    );
    const raised = [{ reason: "voice_mismatch", detail: null }];
    expect(explain(row({ ...voice, outcome: "mismatch", score: 2.5, quality: window(3, -4.2, true), alertsRaised: raised }))).toBe(
      "The recording did not match your registered voice: this recording alone had similarity -4.200, under the -1.535 any one recording must reach. Your instructor sees this as an alert.",
    );
    // The first clip of a window is decided alone and explained as before.
    expect(explain(row({ ...voice, outcome: "accepted", score: 3.1, quality: window(1, 3.1, false) }))).toBe(
      "The recording matched your registered voice: similarity 3.10, the level 'high' needs at least 2.36.",
    );
  });
});

describe("explanations of what raised no alert, and of fused oral-exam frames", () => {
  it("promise an alert only when one was raised", () => {
    const silent = row({ modality: "voice", action: "monitoring", outcome: "quality", reason: "no_speech", score: null, threshold: null, quality: { speech_seconds: 0 } });
    expect(explain(silent)).not.toMatch(/alert/);
    // Identification raises alerts too, and says so.
    const identified = row({ action: "identification", outcome: "mismatch", score: 0.1, threshold: 0.44, alertsRaised: [{ reason: "face_mismatch", detail: null, alertId: 1 }] });
    expect(explain(identified)).toMatch(/not marked verified.*Your instructor sees this as an alert\.$/);
  });

  it("say which pictures a face registration left out, and why, as the student was told", () => {
    const registered = (quality: Record<string, unknown>) => explain(row({ modality: "face", action: "register", outcome: "accepted", examId: null, score: null, threshold: null, quality }));
    expect(registered({ pictures_used: 3, pictures_sent: 3 })).toBe("Your face was registered.");
    expect(registered({ pictures_used: 1, pictures_sent: 3, left_out: "images.1: liveness_failed, images.2: no_face" })).toBe(
      "Your face was registered from 1 of the 3 pictures sent; the others were left out (images.1 did not pass the liveness check (it may be too dark or too bright, cut off at the picture's edge, or show a photo or a screen held up to the camera); images.2 showed no face); register again with 3 good pictures so that you are refused less often.",
    );
    // Records written before `left_out` was kept still say that pictures were left out.
    expect(registered({ pictures_used: 3, pictures_sent: 4 })).toBe("Your face was registered from 3 of the 4 pictures sent; the others were left out.");
  });

  it("word every voice refusal, never a raw code", () => {
    for (const reason of ["silent", "truncated", "inconsistent_speakers", "no_speech", "too_short"]) {
      const text = explain(row({ modality: "voice", action: "register", outcome: "quality", reason, examId: null }));
      expect(text, reason).not.toMatch(/_|the sample silent/);
      expect(text).toMatch(/^The registration was refused: the sample (was|did)/);
    }
  });

  it("name the voice when a fused frame was refused for the voice, the face when for the face", () => {
    const fused = (refusedFor: string) => ({ decided_on: "fused", face_similarity: 0.75, refused_for: refusedFor });
    const base = { modality: "face" as const, action: "monitoring" as const, outcome: "mismatch" as const, score: 0.94, threshold: 1.97, alertsRaised: [{ reason: "voice_mismatch", detail: null }] };
    expect(explain(row({ ...base, quality: fused("voice") }))).toBe(
      "The voice recorded with the picture did not match your registered voice: combined face and voice score 0.94, the level 'high' needs at least 1.97. Your instructor sees this as an alert.",
    );
    expect(explain(row({ ...base, quality: fused("face") }))).toMatch(/^The picture did not match your registered face: combined face and voice score/);
    // Refused under a floor: the explanation quotes the part and its floor, not a combined score that passed.
    const underFloor = { decided_on: "fused", face_similarity: -0.02, voice_score: 7.1, refused_for: "face", below_floor: true, face_floor: 0.36, voice_floor: -1.141 };
    expect(explain(row({ ...base, score: 4.61, quality: underFloor }))).toBe(
      "The picture did not match your registered face: face similarity -0.02, under the 0.36 any picture must reach, whatever the combined score. Your instructor sees this as an alert.",
    );
  });

  it("quote the threshold in force and a score on its true side of it, whatever the rounding", () => {
    const signature = { modality: "handwriting" as const, outcome: "mismatch" as const, decideOn: "distance" as const, threshold: 0.755 };
    // A probe found "distance 0.76, the level 'high' accepts at most 0.76" for a refusal at 0.763 against 0.755.
    expect(explain(row({ ...signature, score: 0.763 }))).toContain("distance 0.763, the level 'high' accepts at most 0.755.");
    expect(explain(row({ ...signature, score: 0.75504 }))).toContain("distance 0.75504, the level 'high' accepts at most 0.755.");
    expect(explain(row({ ...signature, outcome: "accepted", score: 0.7549 }))).toContain("distance 0.7549, the level 'high' accepts at most 0.755.");
    expect(explain(row({ modality: "voice", score: 2.0786, threshold: 2.079 }))).toContain("similarity 2.0786, the level 'high' needs at least 2.079.");
    expect(explain(row({ score: 0.44, threshold: 0.44 }))).toContain("similarity 0.44, the level 'high' needs at least 0.44.");
  });
});

describe("cohort report", () => {
  const cell = (modality: string, os: string | null, outcome: string, n: number, reason: string | null = null) => ({ modality, os, outcome, reason, n, contests: 0, overturns: 0 });
  it("warns about a group refused more than twice as often as overall, not about small groups", () => {
    const r = buildReport([cell("face", "Windows", "accepted", 90), cell("face", "Linux", "quality", 8, "no_face"), cell("face", "Linux", "accepted", 2), cell("voice", "ChromeOS", "mismatch", 3)], 0, { exam_id: 1, from: null, to: null });
    expect(r.overall).toMatchObject({ decisions: 103, refusals: 11, mismatches: 3, quality_refusals: { no_face: 8 } });
    expect(r.warnings.map((w) => w.group)).toEqual(["Linux"]); // ChromeOS: 3 decisions, too few to say
  });

  it("groups by the reported system's family, never by the text as reported (a label can name a student)", async () => {
    const r = buildReport(
      [cell("face", "Windows 11 (laptop of Jane Doe)", "quality", 1, "multiple_faces"), cell("face", "Windows 10", "accepted", 4), cell("face", "Ubuntu 22.04", "accepted", 1), cell("face", "Mac OS X 10.15", "accepted", 1), cell("face", "iPadOS 17", "accepted", 1), cell("face", "TempleOS", "accepted", 1), cell("face", null, "accepted", 1)],
      0,
      { exam_id: 1, from: null, to: null },
    );
    expect(r.by_client_os.map((g) => [g.group, g.decisions])).toEqual([["Windows", 5], ["iOS", 1], ["Linux", 1], ["macOS", 1], ["not reported", 1], ["other", 1]]);
    expect(JSON.stringify(r)).not.toContain("Jane");
    // Labels that only word boundaries tell apart.
    const { osFamily } = await import("../../src/services/decisions/report");
    expect(["iOS 17.2", "Win10", "CrOS x86_64 14541", "Arch", "Mac"].map(osFamily)).toEqual(["iOS", "Windows", "ChromeOS", "Linux", "macOS"]);
    expect(["Kios terminal", "Twin Peaks OS"].map(osFamily)).toEqual(["other", "other"]);
  });

  it("institution-wide, merges the systems of fewer than 5 students into one group (a group of one named a student's refusals)", () => {
    const cells = [cell("face", "Windows 11", "accepted", 40), cell("face", "ChromeOS 120 (Jane's Chromebook)", "quality", 1, "no_face"), cell("face", "Ubuntu", "accepted", 2)];
    const students = [1, 2, 3, 4, 5].map((studentId) => ({ os: "Windows 11", studentId })).concat([{ os: "ChromeOS 120 (Jane's Chromebook)", studentId: 6 }, { os: "Ubuntu", studentId: 7 }]);
    const r = buildReport(cells, 0, { exam_id: 1, from: null, to: null }, students);
    expect(r.by_client_os.map((g) => [g.group, g.decisions, g.refusals])).toEqual([["Windows", 40, 0], ["other (systems of fewer than 5 students each)", 3, 1]]);
  });
});

describe("refusals and outcomes", async () => {
  const { AppError } = await import("../../src/lib/errors");
  const { refusalOf } = await import("../../src/services/decisions/refusals");
  const { faceDecision, processDecision } = await import("../../src/services/decisions/outcomes");
  const base = { institutionId: 1, studentId: 2, examId: 3, endpoint: "/x", now: 5 };

  it("records biometric refusals only, not malformed requests", () => {
    expect(refusalOf(AppError.badField("image", "no_face: No face was found in the image"))).toEqual({ outcome: "quality", reason: "no_face" });
    expect(refusalOf(AppError.notFound("biometric", "Face", "No face model"))).toEqual({ outcome: "not_enrolled", reason: "not_enrolled" });
    expect(refusalOf(AppError.badField("image", "undecodable: not a picture"))).toBeNull();
    expect(refusalOf(AppError.badField("image", "Not valid base64."))).toBeNull();
    expect(refusalOf(AppError.notFound("examination", "3"))).toBeNull();
  });

  it("maps a monitoring frame and a process list to records with their own alerts", () => {
    const raised = [{ reason: "no_face" as const, detail: null }, { reason: "forbidden_process" as const, detail: "anydesk.exe" }];
    const f = faceDecision(base, "monitoring", { outcome: "no_face", faces: 0 }, raised, "m");
    // No face found: the frame was not judged (`quality`, counted in the error report), and it raised its alert.
    expect(f).toMatchObject({ outcome: "quality", reason: "no_face", alertsRaised: [{ reason: "no_face", detail: null }], modality: "face" });
    const live = faceDecision(base, "monitoring", { outcome: "liveness_failed", faces: 1, liveness: 0.1 }, [{ reason: "liveness_failed", detail: null }], "m");
    expect(live).toMatchObject({ outcome: "quality", reason: "liveness_failed", alertsRaised: [{ reason: "liveness_failed", detail: null }] });
    // Several faces are a fact about the scene: flagged.
    const two = faceDecision(base, "monitoring", { outcome: "multiple_faces", faces: 2 }, [{ reason: "multiple_faces", detail: null }], "m");
    expect(two).toMatchObject({ outcome: "flagged", reason: "multiple_faces" });
    const p = processDecision(base, ["AnyDesk.exe"], raised)!;
    expect(p).toMatchObject({ outcome: "flagged", reason: "forbidden_process", alertsRaised: [{ reason: "forbidden_process", detail: "anydesk.exe" }] });
    expect(processDecision(base, undefined, raised)).toBeNull();
  });
});
