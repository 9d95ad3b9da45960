// POST /backend/login
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { loadConfig } from "../../env";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { limitInFlight } from "../../lib/overload";
import { login } from "../../services/accounts";
import { checkLoginRate } from "../../middleware/rate-limit";
import type { AppEnv } from "../../types";
import { commonErrors, Email, envelope, jsonRequest, ok, Organization, tooMany } from "../schemas";
import { MessageBody } from "../schemas";

const Login = z
  .object({ email: Email, password: z.string().min(1).max(128), organization: Organization })
  .openapi("Login");

export const TokenPair = z.object({ access: z.string(), refresh: z.string() }).openapi("TokenPair");

export const route = createRoute({
  method: "post",
  path: "/login",
  tags: ["Login"],
  summary: "Creates an access and a refresh token if the credentials are correct",
  middleware: [limitInFlight("password"), jsonBody(4 * 1024)] as const,
  request: jsonRequest(Login),
  responses: {
    201: ok(envelope({ resource_obj: TokenPair }), "Tokens created; `resource_obj` holds `access` and `refresh`"),
    401: { content: { "application/json": { schema: MessageBody } }, description: "Wrong email, password or organization" },
    ...tooMany,
    ...commonErrors,
  },
});

export const registerLogin = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const config = loadConfig(c.env);
    const input = c.req.valid("json");
    await checkLoginRate(c.env, c.req.raw, input); // before the password hash is computed
    const pair = await login(dbOf(c), config, input, c.get("now"));
    return c.json({ message: "Login successful", resource_name: "token", resource_obj: pair }, 201);
  });
