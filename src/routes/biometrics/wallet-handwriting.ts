// POST /backend/biometrics/wallet/handwriting
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerWalletExport } from "./wallet-export";

export const registerWalletHandwriting = (app: OpenAPIHono<AppEnv>) => registerWalletExport(app, "Handwriting");
