import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerTrustidVersion } from "./trustid-version";

export const registerSystemRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerTrustidVersion(app);
};
