// POST /backend/biometrics/register (form): Face for now; Voice and Handwriting answer 400.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { formBody } from "../../middleware/body";
import { imageBytesFromField, registerFace } from "../../services/biometrics-face";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, ok } from "../schemas";
import { BiometricsForm, formRequest, notSupportedYet, sampleField } from "./form";
import { LIMITS } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/biometrics/register",
  tags: ["Biometrics"],
  summary: "Creates the student's biometric model from one sample (multipart or urlencoded form)",
  middleware: [requireRole("STUDENT"), formBody(LIMITS.form)] as const,
  request: formRequest(BiometricsForm),
  responses: {
    201: ok(envelope({ resource_bool: z.boolean(), extra_details: z.string() }), "Model created"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerRegister = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const form = c.req.valid("form");
    if (form.biometric_type !== "Face") throw notSupportedYet(form.biometric_type);
    const { field, value } = sampleField(form);
    const out = await registerFace(c.env, c.get("caller"), [{ field, bytes: imageBytesFromField(field, value) }], c.get("now"));
    return c.json(
      { message: "Face model registered", resource_name: "Face", resource_bool: true, extra_details: `${out.used} of ${out.total} pictures used` },
      201,
    );
  });
