// The three export endpoints (/biometrics/wallet/face, /voice, /handwriting) differ only in the type;
// each has its own file and builds its route here.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import type { BiometricType } from "../../templates/types";
import { requireRole } from "../../middleware/auth";
import { jsonBody } from "../../middleware/body";
import { requestExport } from "../../services/wallet/exports";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, jsonRequest, notFound, ok } from "../schemas";
import { BiometricType as BiometricTypeSchema } from "./schemas";
import { WALLET_LIMITS, WalletExportRequest, WalletExportView } from "./wallet-schemas";

export const walletExportRoute = (type: BiometricType) =>
  createRoute({
    method: "post",
    path: `/biometrics/wallet/${type.toLowerCase()}`,
    tags: ["Biometrics"],
    security: [{ Bearer: [] }],
    summary: `Sends the student's ${type} template, sealed, to the wallet app`,
    description:
      `Seals the ${type} template (JWE bound to the student, type, model and template version, with an expiry), keeps the sealed ` +
      "export for the wallet to fetch (GET /biometrics/push_notification) and sends the wallet a push notice through Expo carrying " +
      "only the export id. A push failure does not lose the export. See docs/wallet.md.",
    middleware: [requireRole("STUDENT"), jsonBody(WALLET_LIMITS.request)] as const,
    request: jsonRequest(WalletExportRequest.openapi(`BiometricsWallet${type}`)),
    responses: {
      200: ok(envelope({ resource_array: z.array(BiometricTypeSchema), resource_dict: WalletExportView }), "Export kept; push notice state"),
      ...authErrors,
      ...notFound(`No ${type} template is registered for this student`),
      ...commonErrors,
    },
  });

export function registerWalletExport(app: OpenAPIHono<AppEnv>, type: BiometricType, route: ReturnType<typeof walletExportRoute>) {
  app.openapi(route, async (c) => {
    const { expoPushToken } = c.req.valid("json");
    const view = await requestExport(c.env, dbOf(c), c.get("caller"), type, expoPushToken, c.get("now"));
    const pushed = view.push.status === "failed" ? `push notice failed (${view.push.error}); the wallet can still fetch it` : `push notice ${view.push.status}`;
    return c.json({ message: `${type} template sealed for the wallet; ${pushed}`, resource_name: type, resource_array: [type], resource_dict: view }, 200);
  });
}
