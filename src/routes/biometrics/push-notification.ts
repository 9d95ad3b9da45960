// GET /backend/biometrics/push_notification
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { walletInbox } from "../../services/wallet/status";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, notFound, ok, queryParams } from "../schemas";
import { BiometricType } from "./schemas";
import { WalletExportView } from "./wallet-schemas";

const InboxItem = WalletExportView.extend({
  valid: z.boolean().openapi({ description: "Still the current version and model: worth keeping" }),
  sealed: z.string().openapi({ description: "The sealed template (compact JWE); only this server can open it" }),
});

export const route = createRoute({
  method: "get",
  path: "/biometrics/push_notification",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "The wallet's inbox: templates exported to it, sealed",
  description:
    "Called by the wallet app when a push notice arrives (or at start, in case one was lost): the latest unexpired export of each type, " +
    "with the sealed template. `export_id` (from the notice's data) narrows it to one export. The first fetch is recorded and shown " +
    "to the desktop app by /biometrics/wallet/status. See docs/wallet.md.",
  middleware: [requireRole("STUDENT")] as const,
  request: { query: queryParams({ export_id: z.uuid("Expected an export id (UUID).").optional() }) },
  responses: {
    200: ok(envelope({ resource_array: z.array(BiometricType), resource_dict: z.object({ exports: z.array(InboxItem) }) }), "Exports for the wallet"),
    ...authErrors,
    ...notFound("No unexpired export with this id"),
    ...commonErrors,
  },
});

export const registerPushNotification = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { export_id } = c.req.valid("query");
    // Hono answers HEAD with the GET route: the same answer without its body, so nothing is recorded as fetched.
    const exports = await walletInbox(c.env, dbOf(c), c.get("caller"), c.get("now"), export_id, { recordFetch: c.req.method !== "HEAD" });
    return c.json(
      {
        message: exports.length ? "Templates ready for the wallet" : "Nothing for the wallet",
        resource_name: "wallet",
        resource_array: exports.map((e) => e.biometric_type),
        resource_dict: { exports },
      },
      200,
    );
  });
