import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerUpdateExamCondition } from "./update-exam-condition";

export const registerExamRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerUpdateExamCondition(app);
};
