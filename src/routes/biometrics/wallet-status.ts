// GET /backend/biometrics/wallet/status
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { walletStatus } from "../../services/wallet/status";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, ok } from "../schemas";
import { WalletExportView } from "./wallet-schemas";

const WalletStatusExport = z
  .object({ ...WalletExportView.shape, valid: z.boolean().openapi({ description: "Still the current version and model: can be returned" }) })
  .openapi("WalletStatusExport");

const TypeStatus = z.object({
  available: z.boolean().openapi({ description: "This server runs a model of this type" }),
  server_has_template: z.boolean(),
  template_version: z.number().int().nullable(),
  requested: z.boolean().openapi({ description: "An unexpired export to the wallet exists" }),
  // Its own schema, not an extension of WalletExport: an extended, nullable copy came out as
  // allOf [WalletExport, object-or-null] in the document, which null does not satisfy.
  export: WalletStatusExport.nullable(),
});

export const route = createRoute({
  method: "get",
  path: "/biometrics/wallet/status",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "What was exported to the wallet and whether it arrived",
  description:
    "`resource_dict` answers the spec's question per type as a boolean (was the template requested for the wallet); `resource_obj` has the details. " +
    "Per type: whether the server holds the template, and the latest unexpired export: the push notice's state (queued, sent, delivered, " +
    "failed, with Expo's error), whether the wallet fetched it, whether it came back. The desktop app polls this to wait for the phone. " +
    "Due push work (sends to retry, receipts) of this student is done first. See docs/wallet.md.",
  middleware: [requireRole("STUDENT")] as const,
  responses: {
    200: ok(
      envelope({
        resource_dict: z.object({ Face: z.boolean(), Voice: z.boolean(), Handwriting: z.boolean() }).openapi({
          description: "As the spec: per type, whether the wallet was requested the template (an unexpired export exists); booleans a client tests for truth",
        }),
        resource_obj: z.object({ Face: TypeStatus, Voice: TypeStatus, Handwriting: TypeStatus }).openapi({ description: "The details per type" }),
      }),
      "Wallet status",
    ),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerWalletStatus = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const status = await walletStatus(c.env, dbOf(c), c.get("caller"), c.get("now"));
    const requested = { Face: status.Face.requested, Voice: status.Voice.requested, Handwriting: status.Handwriting.requested };
    return c.json({ message: "Wallet status", resource_name: "wallet", resource_dict: requested, resource_obj: status }, 200);
  });
