// POST /backend/biometrics/wallet/send
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import type { RestoreItem } from "../../templates/types";
import { AppError } from "../../lib/errors";
import { requireRole } from "../../middleware/auth";
import { templatesUnlocked } from "../../middleware/template-lock";
import { jsonBody } from "../../middleware/body";
import { walletResourceName } from "../../services/wallet/exports";
import { restoreFromWallet } from "../../services/wallet/restore";
import type { AppEnv } from "../../types";
import { templateChangeAuthErrors, commonErrors, envelope, jsonRequest, notFound, ok } from "../schemas";
import { BiometricType } from "./schemas";
import { oneOf } from "./form";
import { WALLET_LIMITS } from "./wallet-schemas";

const Sealed = z
  .string()
  .trim()
  .max(WALLET_LIMITS.sealedField)
  .nullish()
  .openapi({ description: "A sealed template as the wallet received it (compact JWE); empty or absent when the wallet has none of this type" });

const Send = z
  .object({ face_embeddings: Sealed, voice_embeddings: Sealed, handwriting_embeddings: Sealed })
  .openapi("BiometricsWalletSend", oneOf("face_embeddings", "voice_embeddings", "handwriting_embeddings"));

const FIELDS = [
  ["face_embeddings", "Face"],
  ["voice_embeddings", "Voice"],
  ["handwriting_embeddings", "Handwriting"],
] as const;

export const route = createRoute({
  method: "post",
  path: "/biometrics/wallet/send",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Returns sealed templates from the wallet to the server",
  description:
    "Restores every given template only when each one opens and names this student, the type of its field, the server's current " +
    "model and the current template version, and has not expired; otherwise a 400 names the field and nothing changes. See docs/wallet.md.",
  middleware: [requireRole("STUDENT"), templatesUnlocked, jsonBody(WALLET_LIMITS.send)] as const,
  request: jsonRequest(Send),
  responses: {
    200: ok(envelope({ resource_array: z.array(BiometricType) }), "Templates restored"),
    ...templateChangeAuthErrors,
    ...notFound("User not found"),
    ...commonErrors,
  },
});

export const registerWalletSend = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const items: RestoreItem[] = FIELDS.filter(([f]) => body[f]).map(([field, biometricType]) => ({ field, biometricType, sealed: body[field]! }));
    if (items.length === 0) {
      throw AppError.validation(
        { missing: ["face_embeddings"], details: { face_embeddings: ["At least one of face_embeddings, voice_embeddings, handwriting_embeddings is required."] } },
        "No template to restore",
      );
    }
    const restored = await restoreFromWallet(c.env, dbOf(c), c.get("caller"), items, c.get("now"));
    return c.json(
      { message: `Restored from the wallet: ${restored.map((r) => r.biometricType).join(", ")}`, resource_name: walletResourceName(restored.map((r) => r.biometricType)), resource_array: restored.map((r) => r.biometricType) },
      200,
    );
  });
