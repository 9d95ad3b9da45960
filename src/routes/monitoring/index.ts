import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerMonitoring } from "./monitoring";

export const registerMonitoringRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerMonitoring(app);
};
