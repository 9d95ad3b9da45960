// POST /backend/biometrics/register (form): Face (one picture) and Handwriting (3-10 signatures at once, as
// base64 of a JSON array of trajectories; docs/handwriting.md); Voice answers 400.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { formBody } from "../../middleware/body";
import { imageBytesFromField, registerFace } from "../../services/biometrics-face";
import { handwritingText, registerHandwriting } from "../../services/biometrics-handwriting";
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
    201: ok(
      envelope({
        resource_bool: z.boolean(),
        extra_details: z.string(),
        resource_dict: z.object({ samples: z.number().int(), version: z.number().int() }).optional().openapi({ description: "Handwriting: signatures enrolled and the model version" }),
      }),
      "Model created",
    ),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerRegister = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const form = c.req.valid("form");
    if (form.biometric_type === "Handwriting") {
      const { field, value } = sampleField(form);
      const out = await registerHandwriting(c.env, c.get("caller"), field, handwritingText(field, value), c.get("now"));
      return c.json(
        {
          message: "Handwriting model registered",
          resource_name: "Handwriting",
          resource_bool: true,
          extra_details: `${out.samples} signatures enrolled`,
          resource_dict: { samples: out.samples, version: out.version },
        },
        201,
      );
    }
    if (form.biometric_type !== "Face") throw notSupportedYet(form.biometric_type);
    const { field, value } = sampleField(form);
    const out = await registerFace(c.env, c.get("caller"), [{ field, bytes: imageBytesFromField(field, value) }], c.get("now"));
    return c.json(
      { message: "Face model registered", resource_name: "Face", resource_bool: true, extra_details: `${out.used} of ${out.total} pictures used` },
      201,
    );
  });
