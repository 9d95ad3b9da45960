// GET /backend/trustid_version
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { loadConfig } from "../../env";
import type { AppEnv } from "../../types";
import { commonErrors, envelope, ok } from "../schemas";

const Versions = z
  .object({ server_version: z.number(), windows_version: z.number(), macos_version: z.number(), timestamp: z.number() })
  .openapi("TrustidVersions");

export const route = createRoute({
  method: "get",
  path: "/trustid_version",
  tags: ["TrustidVersion"],
  summary: "Versions of the TRUSTID server and desktop apps, and the server's time (ms since the epoch)",
  responses: { 200: ok(envelope({ resource_dict: Versions })), ...commonErrors },
});

export const registerTrustidVersion = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, (c) => {
    const { versions } = loadConfig(c.env);
    return c.json(
      {
        message: "TRUSTID versions",
        resource_name: "trustid_version",
        resource_dict: { server_version: versions.server, windows_version: versions.windows, macos_version: versions.macos, timestamp: c.get("now") },
      },
      200,
    );
  });
