import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerCheckVerificationStatus } from "./check-verification-status";
import { registerCheckupProcess } from "./checkup-process";
import { registerContestDecision } from "./contest-decision";
import { registerStudentDecisions } from "./decisions";
import { registerIdentification } from "./identification";
import { registerStudentListExam } from "./list-exam";
import { registerStudentMyData } from "./my-data";
import { registerRequestManualApproval } from "./request-manual-approval";
import { registerSubmitFeedback } from "./submit-feedback";

export const registerStudentRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerStudentListExam(app);
  registerCheckVerificationStatus(app);
  registerRequestManualApproval(app);
  registerSubmitFeedback(app);
  registerCheckupProcess(app);
  registerIdentification(app);
  registerStudentDecisions(app);
  registerContestDecision(app);
  registerStudentMyData(app);
};
