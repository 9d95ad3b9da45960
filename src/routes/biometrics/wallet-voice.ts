// POST /backend/biometrics/wallet/voice
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerWalletExport, walletExportRoute } from "./wallet-export";

export const route = walletExportRoute("Voice");

export const registerWalletVoice = (app: OpenAPIHono<AppEnv>) => registerWalletExport(app, "Voice", route);
