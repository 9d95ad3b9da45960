// Who is calling (401 when unknown) and may they (403 when their role may not). The access token is
// read from `Authorization: Bearer <jwt>`; a bare token is accepted too, as TRUSTID clients send it.
import { createMiddleware } from "hono/factory";
import { loadConfig } from "../env";
import { AppError } from "../lib/errors";
import { type AccessClaims, type Role, verifyToken } from "../lib/jwt";
import type { AppEnv } from "../types";

export const requireRole = (...roles: Role[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization")?.trim();
    if (!header) throw AppError.unauthorized("Authentication credentials were not provided");
    const token = header.replace(/^(Bearer|JWT)\s+/i, "");
    const config = loadConfig(c.env);
    const result = await verifyToken<AccessClaims>(token, "access", config.jwtSecret, c.get("now"));
    if (!result.ok) {
      throw AppError.unauthorized(result.reason === "expired" ? "Access token has expired" : "Access token is invalid");
    }
    const { sub, role, iid, inst } = result.claims;
    if (!roles.includes(role)) throw AppError.forbidden(`This endpoint is for the ${roles.join(" or ")} role`);
    c.set("caller", { userId: Number(sub), role, institutionId: iid, institutionCode: inst });
    await next();
  });
