// Schemas shared by the exam, instructor, student and monitoring routes (request fields and the
// documented response shapes). The response objects are built by the mappers of ./exam-views.ts, typed from these.
import { z } from "@hono/zod-openapi";
import type { SecurityLevel } from "../biometrics/security-level";
import { MAX_DURATION_MINUTES, MAX_EXAM_NAME_LENGTH } from "../services/exams/details";
import { textBodyLimit } from "../middleware/body";
import { characterCount, MAX_PATTERN_LENGTH, MAX_PATTERNS_PER_EXAM, MAX_PROCESS_NAME_LENGTH, MAX_PROCESSES, splitProcessText, UNREADABLE_PROCESS_LIST } from "../services/process-policy";
import { isWellFormed, NOT_WELL_FORMED } from "../lib/well-formed";
import { LOCAL_DATE_TIME, localToInstant } from "../lib/time-zone";
import { envelope, LooseBoolean, looseInt, NotFoundBody, SecurityLevelField } from "./schemas";

/**
 * An exam id: an integer, or its decimal string (list responses give ids as strings, per the spec).
 * A preprocess rather than a union, so that an absent id is reported as missing, not as badly formatted.
 */
export const ExamId = z
  .preprocess(
    (v) => (typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : v),
    z.number({ error: "Expected an exam id (an integer)." }).int().positive().max(Number.MAX_SAFE_INTEGER),
  )
  .openapi({ type: "integer", example: 42, description: "The examination's id (an integer; its decimal string is accepted too)" });

export const ExamType = z.enum(["Oral", "Written"]);
export const Duration = looseInt(z.number().int().min(1).max(MAX_DURATION_MINUTES)).openapi({
  description: "Minutes (its decimal text is accepted too)",
  example: 90,
});
/** An instant (the text had a UTC offset) or a local date-time, read later in the institution's time zone. */
export type ScheduledInput = { at: number } | { local: string };
/**
 * The offset and letter forms other ISO 8601 writers use, in the extended form the checks below read: `+0200` (Python's
 * `%z`) and `+02` as `+02:00` (Django's parse_datetime takes all three), `t` and `z` as `T` and `Z`.
 */
function canonicalOffset(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:([zZ])|([+-])(\d{2}):?(\d{2})?)?$/.exec(s);
  if (!m) return s;
  const [, date, time, zulu, sign, hours, minutes] = m;
  return `${date}T${time}${zulu ? "Z" : sign ? `${sign}${hours}:${minutes ?? "00"}` : ""}`;
}
/** Real UTC offsets run from -12:00 to +14:00; a larger one is a typo, not a time zone. */
const plausibleOffset = (s: string) => {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(s);
  return !m || (Number(m[3]) < 60 && Number(m[2]) * 60 + Number(m[3]) <= (m[1] === "+" ? 14 * 60 : 12 * 60));
};
export const ScheduledDate = z
  .string()
  .trim()
  .transform(canonicalOffset)
  // A local date-time must name a real day and time (its validity does not depend on the zone).
  .refine((s) => localToInstant(s, "UTC") !== null || (z.iso.datetime({ offset: true }).safeParse(s).success && plausibleOffset(s)), {
    error: "Expected an ISO 8601 date-time, e.g. 2026-06-01T09:00:00Z (without an offset it is read in the institution's time zone).",
  })
  .transform((s): ScheduledInput => (LOCAL_DATE_TIME.test(s) ? { local: s } : { at: Date.parse(s) }))
  .openapi({
    type: "string",
    format: "date-time",
    example: "2026-06-01T09:00:00Z",
    description: "ISO 8601; a date-time without a UTC offset (2026-06-01T09:00:00) is read in the institution's time zone",
  });
/** A text of at most `max` characters, counted as README counts them (an emoji is one). */
const atMostCharacters = (max: number, message: string) => z.string().refine((s) => characterCount(s) <= max, message);

export const ForbiddenProcesses = z
  .array(atMostCharacters(MAX_PATTERN_LENGTH, `A pattern may be at most ${MAX_PATTERN_LENGTH} characters.`))
  .max(MAX_PATTERNS_PER_EXAM)
  .openapi({
    description:
      "The exam's own forbidden-process patterns (case-insensitive; `*` any characters, `?` one), added to the " +
      "institution's. On update, replaces the exam's list when present; absent leaves it unchanged.",
    example: ["anydesk*", "teamviewer*", "discord.exe"],
  });

/**
 * A process list as a JSON array or one comma/newline-separated string (the spec types it as a string),
 * read into an array before its bounds are checked.
 */
export const ProcessList = z
  .preprocess(
    (v, ctx) => {
      if (typeof v !== "string") return v;
      const names = splitProcessText(v);
      if (names === null) {
        ctx.issues.push({ code: "custom", message: UNREADABLE_PROCESS_LIST, input: v });
        return z.NEVER;
      }
      // An escape in the text can make half of a surrogate pair, which a JSON body's check never saw (a probe's).
      if (!names.every(isWellFormed)) {
        ctx.issues.push({ code: "custom", message: NOT_WELL_FORMED, input: v });
        return z.NEVER;
      }
      return names;
    },
    z
      .array(z.string().trim().pipe(atMostCharacters(MAX_PROCESS_NAME_LENGTH, `A process name may be at most ${MAX_PROCESS_NAME_LENGTH} characters.`)))
      .max(MAX_PROCESSES, `At most ${MAX_PROCESSES} processes may be reported at once.`),
  )
  .openapi({
    description: `Running process names: an array, or one string (a JSON array's text, or names separated by commas or newlines); at most ${MAX_PROCESSES}.`,
    example: ["chrome.exe", "AnyDesk.exe"],
  });

export const ExamView = z
  .object({
    exam_id: z.string(),
    name: z.string(),
    status: z.enum(["Upcoming", "Started", "Completed"]),
    scheduled_date: z.string(),
    privacy_policy: z.string(),
    exam_type: ExamType,
    duration: z.number().int(),
    additional_material: z.boolean(),
    started_at: z.string().nullable(),
    ends_at: z.string().openapi({ description: "scheduled_date + duration (a partner's end_time instead, until the instructor updates the schedule; the time of the update when the update moved the window into the past): the exam is Completed from then on" }),
  })
  .openapi("ExamView");

export const AlertView = z
  .object({
    reason: z.string().openapi({
      description: "no_face | multiple_faces | face_mismatch | liveness_failed | forbidden_process | voice_mismatch | template_missing | repeated_sample | client_error",
    }),
    detail: z.string().nullable(),
    occurrences: z.number().int(),
    first_seen_at: z.string(),
    last_seen_at: z.string(),
  })
  .openapi("AlertView");

export const EnrolledStudentView = z
  .object({
    name: z.string(),
    surname: z.string(),
    email: z.string(),
    verification_status: z.enum(["Pending", "Requested Manual Approval", "Verified"]),
    verified_by: z.enum(["face", "manual"]).nullable(),
    account_claimed: z.boolean().openapi({ description: "False for an account created by a sync that the student has not registered yet" }),
    joined_at: z.string().nullable(),
    left_at: z.string().nullable(),
    alerts: z.string().openapi({ description: 'Short list of reasons, e.g. "no_face (3x); forbidden_process: anydesk.exe (2x), zoom.exe (1x)"; empty when none' }),
    alert_timeline: z.array(AlertView).openapi({ description: "One entry per alert episode, oldest first" }),
    manual_approval: z
      .object({
        reason: z.string().openapi({ description: "The `manual_approval_type` the student gave" }),
        status: z.enum(["Requested", "Approved"]),
        requested_at: z.string(),
        decided_at: z.string().nullable(),
      })
      .nullable()
      .openapi({ description: "The student's latest manual-approval request for this exam; null when none" }),
    feedback: z
      .array(z.object({ cheat_mode: z.enum(["Communication", "Impersonation"]), feedback: z.string(), submitted_at: z.string() }))
      .openapi({ description: "What the student submitted with /student/submit_feedback for this exam, oldest first" }),
  })
  .openapi("EnrolledStudentView");

export const InstructorExamView = ExamView.extend({
  forbidden_processes: z.array(z.string()).openapi({ description: "The exam's own patterns (the institution's apply too)" }),
  moodle_course_id: z.string().nullable(),
  security_level: SecurityLevelField.nullable().openapi({ description: "The exam's own security level; null: the institution's applies" }),
  enrolled_students: z.array(EnrolledStudentView),
}).openapi("InstructorExamView");

export const StudentExamView = ExamView.extend({
  verification_status: z.enum(["Pending", "Requested Manual Approval", "Verified"]),
  joined_at: z.string().nullable(),
  left_at: z.string().nullable(),
}).openapi("StudentExamView");

export const examNotFound = {
  404: { content: { "application/json": { schema: NotFoundBody } }, description: "Examination (or user) not found" },
};

export const examinationReply = (description = "Done") => ({
  content: { "application/json": { schema: envelope({ resource_str: z.string().optional() }) } },
  description,
});

export const MAX_PRIVACY_POLICY_LENGTH = 20_000;

/** add_exam's and update_exam_details's body limit: a name, a privacy policy and forbidden processes at their limits. */
export const EXAM_BODY_LIMIT = textBodyLimit(MAX_EXAM_NAME_LENGTH + MAX_PRIVACY_POLICY_LENGTH + MAX_PATTERNS_PER_EXAM * MAX_PATTERN_LENGTH);

const MOODLE_COURSE_ID = 'Expected a Moodle course id (digits, as a string or a JSON number), or null or "" for no course.';

/** The fields the spec's AddExam and UpdateExam share (each adds its own name, date and id rules). */
export const examDetailFields = {
  exam_type: ExamType,
  duration: Duration,
  privacy_policy: z.string().trim().min(1).max(MAX_PRIVACY_POLICY_LENGTH),
  additional_material: LooseBoolean.optional(),
  forbidden_processes: ForbiddenProcesses.optional(),
  // A String in the spec; a JSON number is taken too, as sync_courses_exams takes it (Moodle's ids are numbers).
  // null or "" removes the link (list_exam shows an exam without one as null, and an exam must save back as shown).
  moodle_course_id: z
    .union(
      [
        z.number().int().nonnegative().max(999_999_999_999_999).transform(String),
        z.string().regex(/^\d{1,15}$/, MOODLE_COURSE_ID),
        z.literal("").transform(() => null),
        z.null(),
      ],
      { error: MOODLE_COURSE_ID },
    )
    .optional()
    .openapi({
      type: ["string", "null"],
      // The string forms the union takes (digits, or "" for none); a pattern constrains strings only, so null stays valid.
      pattern: "^(\\d{1,15})?$",
      description: "The Moodle course id (digits; a JSON number is accepted too). null or \"\" for no course (on update: removes the link); absent on update: unchanged",
    }),
  security_level: SecurityLevelField.nullable()
    .optional()
    .openapi({
      description:
        "The security level of the exam's biometric decisions (docs/face.md): `high` or `standard`; null or absent on creation: the " +
        "institution's. On update, null goes back to the institution's and absent leaves it unchanged.",
    }),
};

type ExamDetailsBody = {
  name?: string | undefined;
  exam_type: z.infer<typeof ExamType>;
  duration: number;
  scheduled_date: ScheduledInput;
  privacy_policy: string;
  additional_material?: boolean | undefined;
  forbidden_processes?: string[] | undefined;
  moodle_course_id?: string | null | undefined;
  security_level?: SecurityLevel | null | undefined;
};

/** A validated AddExam/UpdateExam body as the exam service's input; `timeZone`: the institution's. */
export const examInputOf = <B extends ExamDetailsBody>(b: B, timeZone: string) => ({
  name: b.name as B["name"],
  examType: b.exam_type,
  durationMinutes: b.duration,
  scheduledAt: "at" in b.scheduled_date ? b.scheduled_date.at : localToInstant(b.scheduled_date.local, timeZone)!, // checked by ScheduledDate
  privacyPolicy: b.privacy_policy,
  additionalMaterial: b.additional_material,
  forbiddenProcesses: b.forbidden_processes,
  moodleCourseId: b.moodle_course_id,
  securityLevel: b.security_level,
});

/** A Moodle course's student left out for their email (services/moodle.ts). */
export const SkippedWithoutEmail = z
  .object({ moodle_user_id: z.string(), name: z.string(), surname: z.string(), reason: z.string() })
  .openapi("MoodleStudentWithoutEmail");
