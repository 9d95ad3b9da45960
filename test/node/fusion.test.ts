// Face + voice fusion (src/biometrics/fusion.ts): pure score maths.
import { describe, expect, it } from "vitest";
import { FUSION_CALIBRATION, FUSION_OPERATING_POINTS, fuseFaceVoice, llr, LLR_LIMIT } from "../../src/biometrics/fusion";
import { FACE_MODEL_ID } from "../../src/biometrics/face/policy";
import { accepts } from "../../src/biometrics/security-level";
import { DEFAULT_VOICE_MODEL_ID } from "../../src/biometrics/voice/model";
import { VOICE_SCORING } from "../../src/biometrics/voice/cohort";

describe("fuseFaceVoice", () => {
  it("is the sum of the two calibrated log-likelihood ratios", () => {
    const c = FUSION_CALIBRATION;
    expect(fuseFaceVoice(0.6, 2)).toBeCloseTo(c.face.slope * 0.6 + c.face.offset + c.voice.slope * 2 + c.voice.offset, 10);
  });

  it("is calibrated for the models the service ships (refit with bench/fusion.ts after changing either)", () => {
    expect(FUSION_CALIBRATION.face.modelId).toBe(FACE_MODEL_ID);
    expect(FUSION_CALIBRATION.voice.modelId).toBe(`${DEFAULT_VOICE_MODEL_ID}+${VOICE_SCORING}`);
  });

  it("grows with either score", () => {
    expect(fuseFaceVoice(0.7, 1)).toBeGreaterThan(fuseFaceVoice(0.5, 1));
    expect(fuseFaceVoice(0.5, 3)).toBeGreaterThan(fuseFaceVoice(0.5, 1));
  });

  it("bounds each modality's contribution", () => {
    expect(llr(1e6, FUSION_CALIBRATION.voice)).toBe(LLR_LIMIT);
    expect(llr(-1e6, FUSION_CALIBRATION.face)).toBe(-LLR_LIMIT);
  });

  it("accepts a clear match and refuses a clear stranger at both levels", () => {
    for (const level of ["high", "standard"] as const) {
      const p = FUSION_OPERATING_POINTS[level];
      expect(p.decideOn).toBe("similarity");
      expect(accepts(p, fuseFaceVoice(0.75, 4))).toBe(true); // typical genuine face cosine, clear voice
      expect(accepts(p, fuseFaceVoice(0.05, 0))).toBe(false); // typical stranger on both
    }
    expect(FUSION_OPERATING_POINTS.high.threshold).toBeGreaterThan(FUSION_OPERATING_POINTS.standard.threshold);
  });
});

describe("decideOral", () => {
  const facePoint = { decideOn: "similarity" as const, threshold: 0.42, measured: FUSION_OPERATING_POINTS.high.measured };
  it("uses the fused score when a voice score is there", async () => {
    const { decideOral } = await import("../../src/biometrics/fusion");
    const d = decideOral(0.75, 4, "high", facePoint);
    expect(d).toMatchObject({ decidedOn: "fused", threshold: FUSION_OPERATING_POINTS.high.threshold, isMatch: true });
    expect(d.score).toBeCloseTo(fuseFaceVoice(0.75, 4), 10);
  });
  it("falls back to the face alone at the face's operating point", async () => {
    const { decideOral } = await import("../../src/biometrics/fusion");
    expect(decideOral(0.5, null, "high", facePoint)).toEqual({ decidedOn: "face", score: 0.5, threshold: 0.42, isMatch: true });
    expect(decideOral(0.3, null, "standard", facePoint).isMatch).toBe(false);
  });
});

describe("fusion floors", () => {
  const high = FUSION_OPERATING_POINTS.high;
  it("a strong voice does not carry another person's face, nor a clear face another person's voice", async () => {
    const { decideFused, FUSION_FLOORS } = await import("../../src/biometrics/fusion");
    // The probe's case: face cosine -0.04 with the student's own voice fused to 3.28 >= 1.974 and passed.
    expect(fuseFaceVoice(-0.04, 9)).toBeGreaterThan(high.threshold);
    expect(decideFused(-0.04, 9, high)).toMatchObject({ isMatch: false, refusedFor: ["face"] });
    expect(fuseFaceVoice(0.95, -2)).toBeGreaterThan(high.threshold);
    expect(decideFused(0.95, -2, high)).toMatchObject({ isMatch: false, refusedFor: ["voice"] });
    expect(decideFused(0, -5, high).refusedFor).toEqual(["face", "voice"]);
    // Both above their floors: the fused score decides, and a refusal names the weaker modality.
    expect(decideFused(0.75, 4, high)).toMatchObject({ isMatch: true });
    expect(decideFused(FUSION_FLOORS.faceCosine, 0, high)).toMatchObject({ isMatch: false, refusedFor: ["voice"] }); // voice LLR -1.08 < face LLR 1.33
  });
  it("are the face's standard threshold and the voice window's clip floor", async () => {
    const { FUSION_FLOORS } = await import("../../src/biometrics/fusion");
    const { FACE_OPERATING_POINTS } = await import("../../src/biometrics/face/operating-points");
    const { VOICE_WINDOW } = await import("../../src/biometrics/voice/window");
    expect(FUSION_FLOORS).toEqual({ faceCosine: FACE_OPERATING_POINTS.standard.threshold, voiceNormalised: VOICE_WINDOW.floor });
  });
});
