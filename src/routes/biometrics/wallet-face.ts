// POST /backend/biometrics/wallet/face
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerWalletExport, walletExportRoute } from "./wallet-export";

export const route = walletExportRoute("Face");

export const registerWalletFace = (app: OpenAPIHono<AppEnv>) => registerWalletExport(app, "Face", route);
