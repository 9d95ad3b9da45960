// GET /backend/biometrics/list
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { listBiometrics } from "../../services/biometrics/face";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, ok } from "../schemas";
import { StoredBiometricType } from "./schemas";

export const route = createRoute({
  method: "get",
  path: "/biometrics/list",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Which biometric models the student has registered",
  middleware: [requireRole("STUDENT")] as const,
  responses: {
    200: ok(
      envelope({
        resource_array: z.array(StoredBiometricType),
        resource_dict: z.record(z.string(), z.string()).openapi({ description: "Per registered type: `active`, or `reenrolment_required` after a model change (or when the template can no longer be read: the server's template key changed)" }),
      }),
      "Registered biometric models",
    ),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerList = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const items = await listBiometrics(c.env, c.get("caller"));
    return c.json(
      {
        message: items.length ? "Registered biometric models" : "No biometric model is registered",
        resource_name: "biometrics",
        resource_array: items.map((i) => i.biometricType),
        resource_dict: Object.fromEntries(items.map((i) => [i.biometricType, i.current ? "active" : "reenrolment_required"])),
      },
      200,
    );
  });
