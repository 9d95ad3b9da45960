// Schemas shared by the biometrics endpoints.
import { z } from "@hono/zod-openapi";

export const BiometricType = z.enum(["Face", "Voice", "Handwriting"]).openapi({ example: "Face" });

/** What list and unregister name: the form types plus `Interaction` (the keystroke model of /biometrics/interaction/train). */
export const StoredBiometricType = z.enum(["Face", "Voice", "Handwriting", "Interaction"]).openapi({ example: "Handwriting" });

export const ImageField = z
  .string()
  // 16 MiB (MAX_IMAGE_BYTES) in base64 with a data: prefix; beyond it, the same refusal as the decoder's (a probe got
  // zod's "Too big: expected string to have <=23068672 characters" for 17.3-18 MB pictures, `image_too_large` above and below).
  .max(22 * 1024 * 1024, "image_too_large: the picture is larger than 16777216 bytes.")
  // Characters base64 never has are said with the body's other problems (a probe's "!!" image was told only after
  // the missing exam_id was sent). data: URIs, URLs and the decoding itself are checked where the bytes are read
  // (imageBytesFromField), with their own messages.
  .refine((v) => /^\s*(data:|[a-z][a-z0-9+.-]*:\/\/)/i.test(v) || !/[^A-Za-z0-9+/=_\s-]/.test(v), "Not valid base64.")
  .openapi({ description: "The picture (JPEG, PNG or WebP) as base64 or a `data:image/...;base64,` URI; never a URL.", example: "data:image/jpeg;base64,/9j/4AAQ..." });

/** Limits per endpoint (bytes of the request body). */
export const LIMITS = {
  faceRegister: 40 * 1024 * 1024, // up to 5 pictures, base64: five phone photos of up to about 6 MB, or one of 16 MB
  faceVerify: 23 * 1024 * 1024, // one picture of up to 16 MiB, base64
  form: 23 * 1024 * 1024,
  small: 4 * 1024,
  interaction: 3 * 1024 * 1024, // a typing dataset: the parser takes up to 2,000,000 characters
} as const;

/** A keystroke dataset: CSV or JSON text (the spec's string), or the JSON value itself (docs/keystroke.md). */
export const KeystrokeDataset = z
  // A value of none of these types (a number, a boolean) is told what the field takes (zod says only "Invalid input").
  .union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())], {
    error: 'Expected the typing timings as CSV or JSON text, or as a JSON array of samples (or {"samples": [...]}); see docs/keystroke.md.',
  })
  .openapi({
    description: "Typing timings of one phrase: CSV text (one typing per row) or JSON (text or value); see docs/keystroke.md",
    example: "Hold a,Hold b,Hold c,DD a.b,DD b.c,UD a.b,UD b.c\n91,80,102,210,190,119,110",
  });
