// POST /backend/biometrics/register (form): Face (one picture), Voice (1-10 clips: `voice_base64` repeated,
// docs/voice.md) and Handwriting (3-10 signatures at once, as a JSON array of trajectories or the field repeated,
// or one at a time collected into one enrolment; docs/handwriting.md). An enrolment replaces the student's model
// of that type.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decided } from "../decision-context";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { requireRole } from "../../middleware/auth";
import { templatesUnlocked } from "../../middleware/template-lock";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { formBody } from "../../middleware/body";
import { imageBytesFromField, registerFace, registrationQuality } from "../../services/biometrics/face";
import { handwritingText, registerHandwriting, type HandwritingEnrolment } from "../../services/biometrics/handwriting";
import { HANDWRITING_ENROLMENT_SESSION_MS } from "../../biometrics/handwriting";
import type { AppEnv } from "../../types";
import { templateChangeAuthErrors, commonErrors, envelope, ok, tooMany } from "../schemas";
import { audioBytesFromField, registerVoice } from "../../services/biometrics/voice";
import { AppError } from "../../lib/errors";
import { BiometricsForm, formRequest, sampleField, withSample } from "./form";
import { LIMITS } from "./schemas";
import { limitInFlight } from "../../lib/overload";

const RegisterForm = withSample(BiometricsForm.extend({
  voice_base64: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({
      description:
        "The sample, base64: a picture for Face; an audio clip for Voice (repeat the field for up to 10 clips); for Handwriting one trajectory, or 3-10 as a JSON array (or the field repeated)",
    }),
}), "BiometricsRegister");

export const route = createRoute({
  method: "post",
  path: "/biometrics/register",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Creates the student's biometric model from one sample (multipart or urlencoded form)",
  middleware: [requireRole("STUDENT"), templatesUnlocked, biometricRateLimit("enrol"), limitInFlight("inference"), formBody(LIMITS.form)] as const,
  request: formRequest(RegisterForm),
  responses: {
    201: ok(
      envelope({
        resource_bool: z.boolean(),
        extra_details: z.string(),
        resource_dict: z
          .object({
            samples: z.number().int(),
            version: z.number().int().optional(),
            speech_seconds: z.number().optional(),
            needed: z.number().int().optional(),
          })
          .optional()
          .openapi({
            description:
              "Voice and Handwriting: clips or signatures enrolled and the model version; Handwriting still collecting (resource_bool false): signatures received and how many more are needed",
          }),
      }),
      "Model created",
    ),
    ...templateChangeAuthErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerRegister = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const voiceRegistered = (out: { clips: number; speechSeconds: number; version: number }) =>
      c.json(
        {
          message: "Voice model registered",
          resource_name: "Voice",
          resource_bool: true,
          extra_details: `${out.clips} clip${out.clips === 1 ? "" : "s"} enrolled (${out.speechSeconds.toFixed(1)} s of speech)`,
          resource_dict: { samples: out.clips, version: out.version, speech_seconds: out.speechSeconds },
        },
        201,
      );
    const handwritingRegistered = (out: HandwritingEnrolment) =>
      out.status === "enrolled"
        ? c.json(
            {
              message: "Handwriting model registered",
              resource_name: "Handwriting",
              resource_bool: true,
              extra_details: `${out.samples} signatures enrolled`,
              resource_dict: { samples: out.samples, version: out.version },
            },
            201,
          )
        : c.json(
            {
              message: "Handwriting signature received",
              resource_name: "Handwriting",
              resource_bool: false,
              extra_details: `${out.samples} of at least ${out.samples + out.needed} signatures received: register ${out.needed} more within ${HANDWRITING_ENROLMENT_SESSION_MS / 60_000} minutes to build the handwriting model`,
              resource_dict: { samples: out.samples, needed: out.needed },
            },
            201,
          );
    // Each enrolment is a decision (accepted, or refused for its samples' quality): docs/decisions.md.
    const spec = (modality: "face" | "voice" | "handwriting") =>
      ({ endpoint: route.path, modality, action: "register", modelId: CURRENT_MODEL_IDS[modality === "face" ? "Face" : modality === "voice" ? "Voice" : "Handwriting"] }) as const;
    const voice = (work: () => ReturnType<typeof registerVoice>) =>
      decided(c, spec("voice"), work, (out) => ({ outcome: "accepted", templateVersion: out.version, quality: { clips: out.clips, speech_seconds: out.speechSeconds } }));
    // A handwriting enrolment still collecting signatures has decided nothing yet.
    const handwriting = (work: () => Promise<HandwritingEnrolment>) =>
      decided(c, spec("handwriting"), work, (out) => (out.status === "enrolled" ? { outcome: "accepted", templateVersion: out.version, quality: { samples: out.samples } } : null));
    const raw = c.req.valid("form");
    if (raw.biometric_type === "Voice" && Array.isArray(raw.voice_base64)) {
      const clips = raw.voice_base64.map((v, i) => audioBytesFromField(`voice_base64.${i}`, v));
      return voiceRegistered(await voice(() => registerVoice(c.env, c.get("caller"), "voice_base64", clips, c.get("now"))));
    }
    if (raw.biometric_type === "Handwriting" && Array.isArray(raw.voice_base64)) {
      const texts = raw.voice_base64.map((v, i) => handwritingText(`voice_base64.${i}`, v));
      return handwritingRegistered(await handwriting(() => registerHandwriting(c.env, c.get("caller"), "voice_base64", texts, c.get("now"))));
    }
    if (Array.isArray(raw.voice_base64)) throw AppError.badField("voice_base64", `Send one voice_base64 field for ${raw.biometric_type}.`);
    const form = { ...raw, voice_base64: raw.voice_base64 }; // (re-typed: voice_base64 is a single string from here)
    if (form.biometric_type === "Voice") {
      const { field, value } = sampleField(form);
      const clip = audioBytesFromField(field, value);
      return voiceRegistered(await voice(() => registerVoice(c.env, c.get("caller"), field, [clip], c.get("now"))));
    }
    if (form.biometric_type === "Handwriting") {
      const { field, value } = sampleField(form);
      const text = handwritingText(field, value);
      return handwritingRegistered(await handwriting(() => registerHandwriting(c.env, c.get("caller"), field, [text], c.get("now"))));
    }
    const { field, value } = sampleField(form);
    const bytes = imageBytesFromField(field, value);
    const out = await decided(c, spec("face"), () => registerFace(c.env, c.get("caller"), [{ field, bytes }], c.get("now")), (out) => ({
      outcome: "accepted",
      templateVersion: out.version,
      quality: registrationQuality(out),
    }));
    return c.json(
      { message: "Face model registered", resource_name: "Face", resource_bool: true, extra_details: `${out.used} of ${out.total} pictures used` },
      201,
    );
  });
