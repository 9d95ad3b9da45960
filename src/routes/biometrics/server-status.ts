// GET /backend/biometrics/server_status
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { serverStatus } from "../../services/biometrics/face";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, ok } from "../schemas";

export const route = createRoute({
  method: "get",
  path: "/biometrics/server_status",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Whether the server has the Face, Voice and Handwriting models available now",
  middleware: [requireRole("STUDENT")] as const,
  responses: {
    200: ok(envelope({ resource_dict: z.object({ Face: z.boolean(), Voice: z.boolean(), Handwriting: z.boolean() }) }), "Availability per biometric type"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerServerStatus = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const status = await serverStatus(c.env);
    return c.json({ message: "Biometric models available on this server", resource_name: "server_status", resource_dict: status }, 200);
  });
