import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerLogin } from "./login";
import { registerRefreshToken } from "./refresh-token";
import { registerRegisterUser } from "./register-user";

export const registerAuthRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerRegisterUser(app);
  registerLogin(app);
  registerRefreshToken(app);
};
