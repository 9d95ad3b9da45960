// POST /backend/register_user
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody, textBodyLimit } from "../../middleware/body";
import { limitInFlight } from "../../lib/overload";
import { registerUser } from "../../services/accounts";
import type { AppEnv } from "../../types";
import { registrationRateLimit } from "../../middleware/rate-limit";
import { commonErrors, Email, envelope, jsonRequest, ok, Organization, Role, tooMany } from "../schemas";

const RegisterUser = z
  .object({
    email: Email, // never at trustid.invalid (lib/email.ts)
    name: z.string().trim().min(1).max(150),
    surname: z.string().trim().min(1).max(150),
    organization: Organization,
    password: z.string().min(8, "Use at least 8 characters.").max(128),
    role: Role,
    invitation_token: z.string().trim().min(1).max(200).optional().openapi({
      description:
        "Required to claim an invited account (one an instructor's course sync or a partner session created for this email): the token sent to the student. Single use; expires.",
    }),
  })
  .openapi("RegisterUser");

export const route = createRoute({
  method: "post",
  path: "/register_user",
  tags: ["RegisterUser"],
  summary: "Creates a new TRUSTID user",
  middleware: [registrationRateLimit, limitInFlight("password"), jsonBody(textBodyLimit(150 + 150 + 254 + 128 + 200 + 32))] as const,
  request: jsonRequest(RegisterUser),
  responses: { 200: ok(envelope({ resource_str: z.string() }), "User created"), ...tooMany, ...commonErrors },
});

export const registerRegisterUser = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    await registerUser(dbOf(c), { ...input, invitationToken: input.invitation_token }, c.get("now"));
    return c.json({ message: "User created successfully", resource_name: "user", resource_str: input.email }, 200);
  });
