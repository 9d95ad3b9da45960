// GET /backend/instructor/moodle_information
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { instructorMoodleCourses, MAX_MOODLE_COURSES } from "../../services/moodle";
import type { AppEnv } from "../../types";
import { loadConfig } from "../../env";
import { SkippedWithoutEmail } from "../exam-schemas";
import { authErrors, commonErrors, envelope, MessageBody, notFound, ok } from "../schemas";

const MoodleCourseView = z
  .object({
    moodle_course_id: z.string(),
    moodle_course_name: z.string(),
    enrolled_students: z.array(z.object({ name: z.string(), surname: z.string(), email: z.string() })),
    skipped_instructors: z.array(z.string()).openapi({
      description: "Emails Moodle gives the student role that belong to instructor accounts here: sync_courses_exams leaves them out",
    }),
    skipped_without_email: z.array(SkippedWithoutEmail).openapi({
      description: "Students Moodle shows no usable email for (hidden from the service's token, empty, or not accepted here): sync_courses_exams cannot enrol them",
    }),
  })
  .openapi("MoodleCourseView");

export const route = createRoute({
  method: "get",
  path: "/instructor/moodle_information",
  tags: ["Instructor"],
  summary: `The Moodle courses the instructor teaches (matched by email; at most ${MAX_MOODLE_COURSES}) with their students`,
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR")] as const,
  responses: {
    200: ok(envelope({ resource_array: z.array(MoodleCourseView) }), "The courses"),
    ...notFound("The instructor's email is not a user of the Moodle site"),
    502: { content: { "application/json": { schema: MessageBody } }, description: "Moodle reported an error or answered badly" },
    ...authErrors,
    ...commonErrors,
  },
});

export const registerMoodleInformation = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const courses = await instructorMoodleCourses(dbOf(c), c.get("caller"), loadConfig(c.env).partner.secretKeyEncryptionKey);
    return c.json({ message: "Moodle courses retrieved successfully", resource_name: "moodle_course", resource_array: courses }, 200);
  });
