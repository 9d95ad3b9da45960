// POST /backend/instructor/sync_courses_exams
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { MAX_STUDENTS_PER_SYNC, syncExamStudents } from "../../services/exams/roster";
import type { AppEnv } from "../../types";
import { loadConfig } from "../../env";
import { claimPageFor, mailInvitations } from "../../services/invitations";
import { ExamId, SkippedWithoutEmail } from "../exam-schemas";
import { authErrors, commonErrors, Email, envelope, jsonRequest, MessageBody, notFound, ok } from "../schemas";

const MOODLE_COURSE_ID = 'Expected a Moodle course id (digits, as a number or a string), or null or "" for the exam\'s stored course.';

const StudentToSync = z
  .object({
    name: z.string().trim().max(150).optional(),
    surname: z.string().trim().max(150).optional(),
    email: Email,
  })
  .openapi("StudentToSync");

const InstructorSyncCoursesExams = z
  .object({
    details: z.object({
      exam_id: ExamId,
      students: z.array(StudentToSync).max(MAX_STUDENTS_PER_SYNC).optional().openapi({
        description: "Students to enrol. When absent, the students of the Moodle course are enrolled.",
      }),
      // null or "" (how list_exam shows an exam without a course) is "not given": the exam's stored course (a probe got a
      // bare "Invalid input").
      moodle_course_id: z
        .union(
          [
            z.number().int().positive(MOODLE_COURSE_ID),
            z.string().regex(/^0*[1-9]\d{0,14}$/, MOODLE_COURSE_ID).transform(Number),
            z.literal("").transform(() => undefined),
            z.null().transform(() => undefined),
          ],
          { error: MOODLE_COURSE_ID },
        )
        .optional()
        .openapi({ type: ["integer", "null"], description: "Moodle course to take the students from (absent, null or \"\": the exam's stored course)" }),
    }),
  })
  .openapi("InstructorSyncCoursesExams");

const SyncResult = z.object({
  enrolled: z.number().int(),
  already_enrolled: z.number().int(),
  invited: z.number().int().openapi({ description: "Accounts this request created for emails the institution did not know (a sync run at the same time may have created one first)" }),
  invitations: z
    .array(
      z.object({
        email: z.string(),
        token: z.string(),
        expires_at: z.string().openapi({ format: "date-time" }),
        emailed: z.boolean().openapi({ description: "Whether the server mailed it to the student (MAIL_API_URL configured and accepted)" }),
      }),
    )
    .openapi({
      description:
        "A fresh invitation token for each listed student whose account is not claimed yet. The student needs it to claim the account with /register_user (single use; expires). Deliver those not `emailed` yourself.",
    }),
  source: z.enum(["request", "moodle"]),
  moodle_course_id: z.string().nullable(),
  skipped_instructors: z.array(z.string()).openapi({
    description:
      "Moodle sync only: emails of the course's participants with the student role that belong to an instructor account here (e.g. a teaching assistant), left out. A given `students` list with such an email is refused instead (400).",
  }),
  skipped_without_email: z.array(SkippedWithoutEmail).openapi({
    description: "Moodle sync only: the course's students left out because Moodle shows no email for them (hidden from the service's token, or empty) or one this service does not accept; enrol them with a `students` list once they have one",
  }),
});

export const route = createRoute({
  method: "post",
  path: "/instructor/sync_courses_exams",
  tags: ["Instructor"],
  summary: "Enrols students (given, or from the exam's Moodle course) in one of the instructor's examinations",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR"), jsonBody(1024 * 1024)] as const,
  request: jsonRequest(InstructorSyncCoursesExams),
  responses: {
    200: ok(envelope({ resource_dict: SyncResult }), "Students enrolled; counts in `resource_dict`"),
    ...notFound("Examination not found, or a Moodle course the instructor does not teach (`resource_name`: `moodle course`)"),
    502: { content: { "application/json": { schema: MessageBody } }, description: "Moodle reported an error or answered badly" },
    ...authErrors,
    ...commonErrors,
  },
});

export const registerSyncCoursesExams = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { details } = c.req.valid("json");
    const config = loadConfig(c.env);
    const caller = c.get("caller");
    const r = await syncExamStudents(
      dbOf(c),
      caller,
      { examId: details.exam_id, students: details.students, moodleCourseId: details.moodle_course_id },
      c.get("now"),
      config.partner.secretKeyEncryptionKey,
      config.mail.invitationTtlHours,
    );
    const emailed = await mailInvitations(config, r.invitations, { institution: caller.institutionCode, examName: r.examName, claimPage: claimPageFor(c.req.url) });
    return c.json(
      {
        message: "Students synchronised successfully",
        resource_name: "examination",
        resource_dict: {
          enrolled: r.enrolled,
          already_enrolled: r.alreadyEnrolled,
          invited: r.invited,
          invitations: r.invitations.map((i) => ({ email: i.email, token: i.token, expires_at: new Date(i.expiresAt).toISOString(), emailed: emailed.has(i.email) })),
          source: r.source,
          moodle_course_id: r.moodleCourseId,
          skipped_instructors: r.skippedInstructors,
          skipped_without_email: r.skippedWithoutEmail,
        },
      },
      200,
    );
  });
