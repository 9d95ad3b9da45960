// POST /backend/biometrics/wallet/face
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerWalletExport } from "./wallet-export";

export const registerWalletFace = (app: OpenAPIHono<AppEnv>) => registerWalletExport(app, "Face");
