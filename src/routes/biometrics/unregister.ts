// POST /backend/biometrics/unregister
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { templatesUnlocked } from "../../middleware/template-lock";
import { jsonBody } from "../../middleware/body";
import { unregisterBiometric } from "../../services/biometrics/face";
import type { AppEnv } from "../../types";
import { templateChangeAuthErrors, commonErrors, envelope, jsonRequest, notFound, ok } from "../schemas";
import { LIMITS, StoredBiometricType } from "./schemas";

const Unregister = z.object({ biometric_type: StoredBiometricType }).openapi("BiometricsUnregister");

export const route = createRoute({
  method: "post",
  path: "/biometrics/unregister",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Deletes the student's biometric model of one type",
  middleware: [requireRole("STUDENT"), templatesUnlocked, jsonBody(LIMITS.small)] as const,
  request: jsonRequest(Unregister),
  responses: {
    200: ok(envelope({}), "Deleted"),
    ...templateChangeAuthErrors,
    ...notFound("No model of this type is registered"),
    ...commonErrors,
  },
});

export const registerUnregister = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { biometric_type } = c.req.valid("json");
    await unregisterBiometric(c.env, c.get("caller"), biometric_type);
    return c.json({ message: `${biometric_type} model deleted`, resource_name: "biometrics" }, 200);
  });
