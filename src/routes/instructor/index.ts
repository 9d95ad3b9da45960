import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerAddExam } from "./add-exam";
import { registerDecisionReport } from "./decision-report";
import { registerInstructorDecisions } from "./decisions";
import { registerInstructorListExam } from "./list-exam";
import { registerManualApproveStudent } from "./manual-approve-student";
import { registerMoodleInformation } from "./moodle-information";
import { registerResolveDecision } from "./resolve-decision";
import { registerSyncCoursesExams } from "./sync-courses-exams";
import { registerUpdateExamDetails } from "./update-exam-details";

export const registerInstructorRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerAddExam(app);
  registerUpdateExamDetails(app);
  registerInstructorListExam(app);
  registerManualApproveStudent(app);
  registerSyncCoursesExams(app);
  registerMoodleInformation(app);
  registerInstructorDecisions(app);
  registerResolveDecision(app);
  registerDecisionReport(app);
};
