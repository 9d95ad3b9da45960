import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerFaceRegister } from "./face-register";
import { registerFaceVerify } from "./face-verify";
import { registerList } from "./list";
import { registerMonitoringFace } from "./monitoring-face";
import { registerRegister } from "./register";
import { registerServerStatus } from "./server-status";
import { registerUnregister } from "./unregister";
import { registerVerify } from "./verify";
import { registerPushNotification } from "./push-notification";
import { registerWalletFace } from "./wallet-face";
import { registerWalletHandwriting } from "./wallet-handwriting";
import { registerWalletRevoke } from "./wallet-revoke";
import { registerWalletSend } from "./wallet-send";
import { registerWalletStatus } from "./wallet-status";
import { registerWalletVoice } from "./wallet-voice";

export const registerBiometricsRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerFaceRegister(app);
  registerFaceVerify(app);
  registerList(app);
  registerUnregister(app);
  registerServerStatus(app);
  registerRegister(app);
  registerVerify(app);
  registerMonitoringFace(app);
  // Wallet app (docs/wallet.md)
  registerWalletFace(app);
  registerWalletVoice(app);
  registerWalletHandwriting(app);
  registerWalletSend(app);
  registerWalletStatus(app);
  registerWalletRevoke(app);
  registerPushNotification(app);
};
