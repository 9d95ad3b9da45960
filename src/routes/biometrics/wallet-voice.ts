// POST /backend/biometrics/wallet/voice
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerWalletExport } from "./wallet-export";

export const registerWalletVoice = (app: OpenAPIHono<AppEnv>) => registerWalletExport(app, "Voice");
