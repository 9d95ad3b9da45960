// POST /backend/biometrics/face_register
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decided } from "../decision-context";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { AppError } from "../../lib/errors";
import { requireRole } from "../../middleware/auth";
import { templatesUnlocked } from "../../middleware/template-lock";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { imageBytesFromField, MAX_ENROL_IMAGES, registerFace, registrationQuality } from "../../services/biometrics/face";
import type { AppEnv } from "../../types";
import { templateChangeAuthErrors, commonErrors, envelope, jsonRequest, ok, tooMany } from "../schemas";
import { ImageField, LIMITS } from "./schemas";
import { oneOf } from "./form";
import { limitInFlight } from "../../lib/overload";

const FaceRegister = z
  .object({
    image: ImageField.optional(),
    images: z.array(ImageField).min(1).max(MAX_ENROL_IMAGES).optional().openapi({ description: `Several pictures (up to ${MAX_ENROL_IMAGES}); three give a steadier template than one.` }),
    operating_sys: z.string().max(64).optional(),
  })
  .openapi("BiometricsFaceRegister", oneOf("image", "images"));

export const route = createRoute({
  method: "post",
  path: "/biometrics/face_register",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Generates the student's face model from one or several pictures",
  description:
    "Pictures with a quality problem (no face, several faces, face too small, failed liveness) are left out and named in `extra_details`; " +
    "the request fails when none is usable, when one cannot be decoded, or when the usable ones do not show the same person. Replaces an earlier face model.",
  middleware: [requireRole("STUDENT"), templatesUnlocked, biometricRateLimit("enrol"), limitInFlight("inference"), jsonBody(LIMITS.faceRegister)] as const,
  request: jsonRequest(FaceRegister),
  responses: {
    200: ok(envelope({ resource_bool: z.boolean(), extra_details: z.string() }), "Face model registered"),
    ...templateChangeAuthErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerFaceRegister = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const fields: { field: string; value: string }[] = [];
    if (body.image !== undefined) fields.push({ field: "image", value: body.image });
    body.images?.forEach((value, i) => fields.push({ field: `images.${i}`, value }));
    if (fields.length === 0) throw AppError.validation({ missing: ["image"], details: { image: ["Send `image` or `images`."] } });
    if (fields.length > MAX_ENROL_IMAGES) throw AppError.badField("images", `At most ${MAX_ENROL_IMAGES} pictures in total.`);
    const images = fields.map((f) => ({ field: f.field, bytes: imageBytesFromField(f.field, f.value) }));
    const out = await decided(
      c,
      { endpoint: route.path, modality: "face", action: "register", modelId: CURRENT_MODEL_IDS.Face, operatingSys: body.operating_sys },
      () => registerFace(c.env, c.get("caller"), images, c.get("now")),
      (out) => ({ outcome: "accepted", templateVersion: out.version, quality: registrationQuality(out) }),
    );
    const left = out.rejected.map((r) => `${r.field}: ${r.problem}`).join(", ");
    return c.json(
      {
        // A one-picture template refuses the student several times as often (docs/face.md): say so when pictures
        // were sent and left out, rather than answer as if all were used.
        message:
          out.used < 3 && out.rejected.length > 0
            ? `Face model registered from ${out.used} picture${out.used === 1 ? "" : "s"} only (the others were left out); register again with 3 good pictures so that you are refused less often`
            : "Face model registered",
        resource_name: "face_model",
        resource_bool: true,
        extra_details: `${out.used} of ${out.total} pictures used${left ? `; left out ${left}` : ""}`,
      },
      200,
    );
  });
