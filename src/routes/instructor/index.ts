import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";
import { registerAddExam } from "./add-exam";
import { registerInstructorListExam } from "./list-exam";
import { registerManualApproveStudent } from "./manual-approve-student";
import { registerMoodleInformation } from "./moodle-information";
import { registerSyncCoursesExams } from "./sync-courses-exams";
import { registerUpdateExamDetails } from "./update-exam-details";

export const registerInstructorRoutes = (app: OpenAPIHono<AppEnv>) => {
  registerAddExam(app);
  registerUpdateExamDetails(app);
  registerInstructorListExam(app);
  registerManualApproveStudent(app);
  registerSyncCoursesExams(app);
  registerMoodleInformation(app);
};
