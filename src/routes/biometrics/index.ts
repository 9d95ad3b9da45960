import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerFaceRegister } from "./face-register";
import { registerFaceVerify } from "./face-verify";
import { registerInteractionTest } from "./interaction-test";
import { registerInteractionTrain } from "./interaction-train";
import { registerList } from "./list";
import { registerRegister } from "./register";
import { registerServerStatus } from "./server-status";
import { registerUnregister } from "./unregister";
import { registerVerify } from "./verify";

// /biometrics/monitoring_face/, /biometrics/monitoring_face_oral/ and /student/identification are
// registered by the monitoring area; they call analyseFace / verifyFaceImage from services/biometrics-face.
export const registerBiometricsRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerFaceRegister(app);
  registerFaceVerify(app);
  registerList(app);
  registerUnregister(app);
  registerServerStatus(app);
  registerRegister(app);
  registerVerify(app);
  registerInteractionTrain(app);
  registerInteractionTest(app);
};
