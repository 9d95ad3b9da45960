// POST /backend/biometrics/verify (form): Face, Voice (one clip; `is_voice_detected` says whether it held speech)
// and Handwriting (one signature).
// Unlike face_verify it changes no enrolment's verification status. With `monitoring_type` it is also a
// monitoring observation of the exam being sat (services/monitoring/verification-events.ts).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decided, matchOutcome } from "../decision-context";
import { type DecisionInsert, insertDecision } from "../../services/decisions/record";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { institutionSecurityLevel } from "../../services/security-level";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { formBody } from "../../middleware/body";
import { faceVerdictMessage, imageBytesFromField, verifyFaceImage } from "../../services/biometrics/face";
import { handwritingText, verifyHandwritingSample } from "../../services/biometrics/handwriting";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, notFound, ok, SecurityLevelField, tooMany } from "../schemas";
import { audioBytesFromField, verifyVoiceClip } from "../../services/biometrics/voice";
import { BiometricsForm, blankAsAbsent, formRequest, sampleField, withSample } from "./form";
import { LIMITS } from "./schemas";
import { limitInFlight } from "../../lib/overload";
import type { Context } from "hono";
import { recordVerification, type VerificationObservation, type VerificationTarget, verificationTarget } from "../../services/monitoring/verification-events";
import type { MonitoringScope } from "../../services/monitoring/results";
import { ExamId } from "../exam-schemas";

/** With `monitoring_type`: what it is and the exam it observes (null target: no exam being sat). */
type Monitoring = { monitoringType: MonitoringScope["monitoringType"]; target: VerificationTarget };

const VerifyForm = withSample(BiometricsForm.extend({
  monitoring_type: blankAsAbsent(z.enum(["Identification", "Checkup Process", "Exam Monitoring"])).openapi({
    description:
      "When given, the verification is recorded as a monitoring event of the exam (`exam_id`, else the exam the student has joined and is sitting, the one joined last when several) and raises alerts as the monitoring endpoints do (face_mismatch, voice_mismatch)",
  }),
  exam_id: blankAsAbsent(ExamId),
}), "BiometricsVerify");

/**
 * With `monitoring_type`: records the observation (verification-events.ts) and lists the alerts it raised. The
 * decision's record goes with the observation's event (or alone without monitoring_type): docs/decisions.md.
 */
async function observed(c: Context<AppEnv>, monitoring: Monitoring | null, observation: VerificationObservation, decision: DecisionInsert) {
  if (!monitoring) {
    await insertDecision(dbOf(c), decision);
    return {};
  }
  const r = await recordVerification(dbOf(c), c.get("caller"), { ...monitoring, observation, decision }, c.get("now"));
  return r ? { resource_array: r.alerts.map((a) => (a.detail ? `${a.reason}: ${a.detail}` : a.reason)) } : {};
}

export const route = createRoute({
  method: "post",
  path: "/biometrics/verify",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Verifies one sample against the student's own model (1:1; multipart or urlencoded form)",
  middleware: [requireRole("STUDENT"), biometricRateLimit("verify"), limitInFlight("inference"), formBody(LIMITS.form)] as const,
  request: formRequest(VerifyForm),
  responses: {
    200: ok(
      envelope({
        is_match: z.boolean(),
        is_voice_detected: z.boolean(),
        resource_bool: z.boolean(),
        extra_details: z.string(),
        resource_array: z
          .array(z.string())
          .optional()
          .openapi({ description: "With `monitoring_type` and an exam being sat: the alerts this verification raised (empty: none); absent when nothing was recorded" }),
        resource_dict: z
          .object({
            score: z.number().nullable(),
            threshold: z.number(),
            security_level: SecurityLevelField,
            is_match: z.boolean(),
            liveness: z.number().optional(),
            distance: z.number().optional(),
            is_voice_detected: z.boolean().optional(),
            speech_seconds: z.number().optional(),
          })
          .openapi({
            description:
              "The decision's score, the threshold of the security level it was taken at (the observed exam's with `monitoring_type`, else the institution's; docs/face.md) and that level. " +
              "Face: cosine similarity, accepted when >= threshold, and the liveness score. Handwriting: score in (0, 1) (0.5 = the level's threshold) and the " +
              "writer-normalised distance, accepted when <= threshold. Voice: the cohort-normalised score (null without speech), accepted when >= threshold",
          }),
      }),
      "Verification done",
    ),
    ...authErrors,
    ...tooMany,
    ...notFound("No model of this type is registered"),
    ...commonErrors,
  },
});

export const registerVerify = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const form = c.req.valid("form");
    // An observation of an exam is decided at the exam's level, as in the monitoring endpoints; otherwise no exam
    // is named and the institution's level decides.
    const monitoring: Monitoring | null = form.monitoring_type
      ? { monitoringType: form.monitoring_type, target: await verificationTarget(dbOf(c), c.get("caller"), form.exam_id, c.get("now")) }
      : null;
    const level = monitoring?.target?.securityLevel ?? (await institutionSecurityLevel(dbOf(c), c.get("caller")));
    let observation: Awaited<ReturnType<typeof observed>> = {};
    if (form.biometric_type === "Handwriting") {
      const { field, value } = sampleField(form);
      const text = handwritingText(field, value);
      const v = await decided(
        c,
        { endpoint: route.path, modality: "handwriting", action: "verify", modelId: CURRENT_MODEL_IDS.Handwriting, securityLevel: level, decideOn: "distance" },
        () => verifyHandwritingSample(c.env, c.get("caller"), field, text, level),
        (v) => matchOutcome(v, v.distance, { score: v.score }),
        async (row, v) => (observation = await observed(c, monitoring, { type: "Handwriting", isMatch: v.isMatch, score: v.score }, row)),
      );
      return c.json(
        {
          message: v.isMatch ? "The signature matches the registered handwriting model" : "The signature does not match the registered handwriting model",
          resource_name: "Handwriting",
          is_match: v.isMatch,
          is_voice_detected: false,
          resource_bool: v.isMatch,
          extra_details: `score ${v.score.toFixed(3)} (threshold 0.5); distance ${v.distance.toFixed(3)} (level '${v.level}' accepts at most ${v.threshold})`,
          resource_dict: { score: v.score, distance: v.distance, threshold: v.threshold, security_level: v.level, is_match: v.isMatch },
          ...observation,
        },
        200,
      );
    }
    if (form.biometric_type === "Voice") {
      const { field, value } = sampleField(form);
      const clip = audioBytesFromField(field, value);
      const v = await decided(
        c,
        { endpoint: route.path, modality: "voice", action: "verify", modelId: CURRENT_MODEL_IDS.Voice, securityLevel: level, decideOn: "similarity" },
        () => verifyVoiceClip(c.env, c.get("caller"), field, clip, level),
        (v) =>
          v.isVoiceDetected
            ? matchOutcome(v, v.score, { speech_seconds: v.speechSeconds, raw_score: v.rawScore })
            : { outcome: "quality", reason: "no_speech", threshold: v.threshold, securityLevel: v.level, quality: { speech_seconds: v.speechSeconds } },
        async (row, v) =>
          (observation = await observed(c, monitoring, { type: "Voice", isMatch: v.isMatch, isVoiceDetected: v.isVoiceDetected, score: v.score, threshold: v.threshold }, row)),
      );
      return c.json(
        {
          message: `${
            !v.isVoiceDetected
              ? v.speechSeconds > 0
                ? "Too little speech was detected in the clip"
                : "No voice was detected in the clip"
              : v.isMatch
                ? "The voice matches the registered voice model"
                : "The voice does not match the registered voice model"
          }${v.hint ? `; ${v.hint}` : ""}`,
          resource_name: "Voice",
          is_match: v.isMatch,
          is_voice_detected: v.isVoiceDetected,
          resource_bool: v.isMatch,
          extra_details:
            v.score === null
              ? `no speaker decision: ${v.reason ?? "no speech"}`
              : `score ${v.score.toFixed(2)} (level '${v.level}' needs at least ${v.threshold}); ${v.speechSeconds.toFixed(1)} s of speech`,
          resource_dict: {
            score: v.score,
            threshold: v.threshold,
            security_level: v.level,
            is_match: v.isMatch,
            is_voice_detected: v.isVoiceDetected,
            speech_seconds: v.speechSeconds,
          },
          ...observation,
        },
        200,
      );
    }
    const { field, value } = sampleField(form);
    const image = imageBytesFromField(field, value);
    const v = await decided(
      c,
      { endpoint: route.path, modality: "face", action: "verify", modelId: CURRENT_MODEL_IDS.Face, securityLevel: level, decideOn: "similarity" },
      () => verifyFaceImage(c.env, c.get("caller"), field, image, level),
      (v) => matchOutcome(v, v.score, { liveness: v.liveness }),
      async (row, v) => (observation = await observed(c, monitoring, { type: "Face", isMatch: v.isMatch, score: v.score, threshold: v.threshold, liveness: v.liveness }, row)),
    );
    return c.json(
      {
        message: faceVerdictMessage(v),
        resource_name: "Face",
        is_match: v.isMatch,
        is_voice_detected: false,
        resource_bool: v.isMatch,
        extra_details: `similarity ${v.score.toFixed(3)} (level '${v.level}' needs at least ${v.threshold}); liveness ${v.liveness.toFixed(2)}`,
        resource_dict: { score: v.score, threshold: v.threshold, security_level: v.level, is_match: v.isMatch, liveness: v.liveness },
        ...observation,
      },
      200,
    );
  });
