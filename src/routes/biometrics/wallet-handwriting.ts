// POST /backend/biometrics/wallet/handwriting
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerWalletExport, walletExportRoute } from "./wallet-export";

export const route = walletExportRoute("Handwriting");

export const registerWalletHandwriting = (app: OpenAPIHono<AppEnv>) => registerWalletExport(app, "Handwriting", route);
