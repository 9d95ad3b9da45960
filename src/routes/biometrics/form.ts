// The form body of /biometrics/register and /biometrics/verify: the sample of whatever `biometric_type`
// names travels base64 in `voice_base64` (the field's historical name), or as a data: URI in `src`.
import { z } from "@hono/zod-openapi";
import { AppError } from "../../lib/errors";
import { BiometricType } from "./schemas";

/**
 * OpenAPI: at least one of `fields` is required (each is optional alone, as the sample may come in either form);
 * the service answers 400 `missing_required_fields` without any of them.
 */
export const oneOf = (...fields: string[]) => ({ anyOf: fields.map((f) => ({ required: [f] })) });

export const BiometricsForm = z
  .object({
    biometric_type: BiometricType,
    voice_base64: z
      .string()
      .optional()
      .openapi({
        description:
          "The sample, base64: a picture for Face; an audio clip (WAV, Ogg/Opus, WebM/Opus) for Voice; for Handwriting a JSON array of 3-10 trajectories (register) or one trajectory (verify), see docs/handwriting.md",
      }),
    src: z.string().optional().openapi({ description: "The same sample as a data: URI (never fetched as a URL)" }),
  })
  .openapi("Biometrics", oneOf("voice_base64", "src"));

/**
 * An optional form field sent empty is absent: HTML forms and many form clients send every field, the unused ones
 * as "" (as `voice_base64` and `src` are read, sampleField).
 */
export const blankAsAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

const SAMPLE_MISSING = "Send the sample in voice_base64 (base64) or src (data: URI).";
const present = (v: unknown) => (typeof v === "string" ? v.trim() !== "" : Array.isArray(v) && v.length > 0);

/**
 * The form schema named `name`, refusing a form without a sample (`voice_base64` or `src`, blank = absent) in the same
 * 400 as the form's other problems: an empty form used to name only `biometric_type`, and the missing sample came in
 * the next answer (a probe's contract sweep). The handler's sampleField still picks the field and checks `src`.
 */
export const withSample = <T extends z.ZodObject>(schema: T, name: string) =>
  schema
    .refine((form: Record<string, unknown>) => present(form.voice_base64) || present(form.src), {
      path: ["voice_base64"],
      message: SAMPLE_MISSING,
      params: { missing: true },
      // Checked even when another field is wrong (zod skips refinements of an invalid object by default).
      when: (payload) => payload.value !== null && typeof payload.value === "object",
    })
    .openapi(name, oneOf("voice_base64", "src"));

export const formRequest = <T extends z.ZodType>(schema: T) => ({
  body: {
    content: { "multipart/form-data": { schema }, "application/x-www-form-urlencoded": { schema } },
    required: true,
  },
});

/** The sample field to use: `voice_base64` when present and not blank, else `src`. */
export function sampleField(form: { voice_base64?: string; src?: string }): { field: string; value: string } {
  if (form.voice_base64 && form.voice_base64.trim() !== "") return { field: "voice_base64", value: form.voice_base64 };
  if (form.src && form.src.trim() !== "") {
    if (!/^data:/i.test(form.src.trim())) throw AppError.badField("src", "Only data: URIs are accepted; URLs are not fetched.");
    return { field: "src", value: form.src };
  }
  throw AppError.validation({ missing: ["voice_base64"], details: { voice_base64: [SAMPLE_MISSING] } });
}
