// POST /backend/refresh_token
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { loadConfig } from "../../env";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { refresh } from "../../services/accounts";
import type { AppEnv } from "../../types";
import { commonErrors, envelope, jsonRequest, MessageBody, ok } from "../schemas";
import { TokenPair } from "./login";

const RefreshToken = z
  .object({
    refresh: z.string().min(1).max(4096),
    access: z.string().max(4096).optional().openapi({ description: "Ignored; accepted for TRUSTID clients that send it" }),
  })
  .openapi("RefreshToken");

export const route = createRoute({
  method: "post",
  path: "/refresh_token",
  tags: ["RefreshToken"],
  summary: "Exchanges a refresh token for a new access token (and a new refresh token: they rotate)",
  description:
    "The new access token is in `resource_str` as TRUSTID clients expect; `resource_obj` carries it with the rotated " +
    "refresh token. A client that reads only `resource_str` may keep presenting the refresh token `/login` gave it " +
    "until that token expires: each time it gets a new access token (and is offered the same rotated token). Once " +
    "any rotated token of the login has been presented, every refresh token is single-use: presenting one again " +
    "revokes the whole login.",
  middleware: [jsonBody(8 * 1024)] as const,
  request: jsonRequest(RefreshToken),
  responses: {
    201: ok(envelope({ resource_str: z.string(), resource_obj: TokenPair }), "New access token in `resource_str`"),
    401: { content: { "application/json": { schema: MessageBody } }, description: "Invalid, expired, revoked or reused refresh token" },
    ...commonErrors,
  },
});

export const registerRefreshToken = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const config = loadConfig(c.env);
    const pair = await refresh(dbOf(c), config, c.req.valid("json").refresh, c.get("now"));
    return c.json({ message: "Token refreshed", resource_name: "token", resource_str: pair.access, resource_obj: pair }, 201);
  });
