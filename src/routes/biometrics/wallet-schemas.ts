// Schemas shared by the wallet endpoints (docs/wallet.md).
import { z } from "@hono/zod-openapi";
import { EXPO_PUSH_TOKEN } from "../../services/wallet/expo-push";

export const ExpoPushToken = z
  .string()
  .trim()
  .regex(EXPO_PUSH_TOKEN, "Expected an Expo push token: ExponentPushToken[...] or ExpoPushToken[...].")
  .openapi({ description: "The wallet app's Expo push token", example: "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]" });

export const WalletExportRequest = z.object({ expoPushToken: ExpoPushToken });

const PushState = z.object({
  status: z.enum(["queued", "sent", "delivered", "failed"]).openapi({
    description: "queued: to be sent (again) at next_attempt_at; sent: Expo accepted it, receipt pending; delivered: Expo's receipt is ok (handed to APNs/FCM); failed: see error",
  }),
  error: z.string().nullable().openapi({ description: "Expo's error code and message (e.g. DeviceNotRegistered, MessageRateExceeded)" }),
  ticket_id: z.string().nullable(),
  attempts: z.number().int(),
  next_attempt_at: z.string().nullable(),
});

export const WalletExportView = z
  .object({
    export_id: z.string(),
    biometric_type: z.enum(["Face", "Voice", "Handwriting"]),
    model_id: z.string(),
    template_version: z.number().int(),
    requested_at: z.string(),
    expires_at: z.string(),
    push: PushState,
    fetched_by_wallet: z.boolean().openapi({ description: "The wallet fetched the sealed export (GET /biometrics/push_notification)" }),
    fetched_at: z.string().nullable(),
    returned_at: z.string().nullable().openapi({ description: "When the wallet sent this export back and it was restored" }),
  })
  .openapi("WalletExport");

/**
 * Request body limit of the export requests; /wallet/send has its own, and a limit per sealed template: the largest
 * handwriting model (HANDWRITING_MAX_TOTAL_POINTS of references, about 240 KiB of JSON) is about 430 KiB sealed.
 */
export const WALLET_LIMITS = { request: 4 * 1024, send: 1024 * 1024, sealedField: 512 * 1024 } as const;
