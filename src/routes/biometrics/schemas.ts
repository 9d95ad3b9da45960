// Schemas shared by the biometrics endpoints.
import { z } from "@hono/zod-openapi";

export const BiometricType = z.enum(["Face", "Voice", "Handwriting"]).openapi({ example: "Face" });

export const ImageField = z
  .string()
  .max(9 * 1024 * 1024)
  .openapi({ description: "The picture (JPEG, PNG or WebP) as base64 or a `data:image/...;base64,` URI; never a URL.", example: "data:image/jpeg;base64,/9j/4AAQ..." });

/** Limits per endpoint (bytes of the request body). */
export const LIMITS = {
  faceRegister: 40 * 1024 * 1024, // up to 5 images of 6 MB, base64
  faceVerify: 9 * 1024 * 1024,
  form: 9 * 1024 * 1024,
  small: 4 * 1024,
} as const;
