// POST /backend/biometrics/wallet/revoke
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { jsonBody } from "../../middleware/body";
import { revokeWalletCopies } from "../../services/wallet/restore";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, jsonRequest, notFound, ok } from "../schemas";
import { BiometricType } from "./schemas";
import { WALLET_LIMITS } from "./wallet-schemas";

const Revoke = z.object({ biometric_type: BiometricType }).openapi("BiometricsWalletRevoke");

export const route = createRoute({
  method: "post",
  path: "/biometrics/wallet/revoke",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Makes every earlier wallet export of one type useless (e.g. a lost phone)",
  description:
    "Issues a new template version: exports made before are refused by /biometrics/wallet/send. The server's copy, if it holds one, stays " +
    "usable under the new version; if it holds none, the student registers again. See docs/wallet.md.",
  middleware: [requireRole("STUDENT"), jsonBody(WALLET_LIMITS.request)] as const,
  request: jsonRequest(Revoke),
  responses: {
    200: ok(envelope({ resource_dict: z.object({ biometric_type: BiometricType, template_version: z.number().int(), server_has_template: z.boolean() }) }), "Revoked"),
    ...authErrors,
    ...notFound("No template of this type was ever registered"),
    ...commonErrors,
  },
});

export const registerWalletRevoke = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { biometric_type } = c.req.valid("json");
    const r = await revokeWalletCopies(c.env, c.get("caller"), biometric_type);
    return c.json(
      {
        message: `Earlier wallet copies of the ${biometric_type} template are revoked`,
        resource_name: biometric_type,
        resource_dict: { biometric_type, template_version: r.version, server_has_template: r.held },
      },
      200,
    );
  });
