// The partner endpoints' parameters, read and checked (ProctorExam's rules and 422 messages).
import { z } from "@hono/zod-openapi";
import { optBool, optEnum, optEpochSeconds, optPositiveInt, optString, reqString } from "../../services/partner/params";
import type { ExamInput } from "../../services/partner/exams";
import type { SessionInput } from "../../services/partner/sessions";
import type { Params } from "../../services/partner/signature";
import { MAX_EXAM_NAME_LENGTH } from "../../services/exams/details";
import { PARTNER_EXAM_STATUSES } from "../../services/exams/lifecycle";

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());

export function examInput(p: Params): ExamInput {
  return {
    // TRUSTID's limit (add_exam / update_exam_details), so that the exam's instructor can save it back unchanged.
    name: nonEmpty(optString(p, "name", MAX_EXAM_NAME_LENGTH)),
    status: optEnum(p, "status", PARTNER_EXAM_STATUSES),
    type: nonEmpty(optString(p, "type", 64)),
    examType: optEnum(p, "exam_type", ["Oral", "Written"] as const),
    duration: optPositiveInt(p, "duration", 24 * 60),
    startTime: optEpochSeconds(p, "start_time"),
    endTime: optEpochSeconds(p, "end_time"),
    instructorEmail: nonEmpty(optString(p, "instructor_email", 254)),
  };
}

export const newExamInput = (p: Params) => ({ ...examInput(p), name: reqString(p, "name", MAX_EXAM_NAME_LENGTH) });

export function sessionInput(p: Params): SessionInput {
  return {
    name: nonEmpty(optString(p, "name", 255)),
    email: nonEmpty(optString(p, "email", 254)),
    externalId: optString(p, "external_id", 255),
    individualInfo: optString(p, "individual_info", 20_000),
    isIndividualInfoHtml: optBool(p, "is_individual_info_html"),
    skipRequirements: optBool(p, "skip_requirements"),
    sendConfirmation: optBool(p, "send_confirmation"),
    // Sent empty (or JSON null), it clears the session's open time: the student may join as soon as the exam runs.
    openTime: p.open_time === "" || p.open_time === null ? null : optEpochSeconds(p, "open_time"),
  };
}

export const newSessionInput = (p: Params) => ({ ...sessionInput(p), email: reqString(p, "email", 254) });

// What the OpenAPI document says of these parameters, from docs/partner-api.md. Documentation only: the routes
// register no validator for them (common.ts `documentParams`); the functions above read and check them, with
// ProctorExam's 422s. Values as a client may send them: JSON scalars, or their text in a query or form.
const text = (description: string) => z.string().openapi({ description });
// The text of a number as services/partner/params.ts `optNumber` takes it (tighter than `${number}`).
const numberText = z.templateLiteral([z.number()]).openapi({ pattern: "^-?\\d+(\\.\\d+)?$" });
const numeric = (description: string) => z.union([z.number(), numberText]).openapi({ description });
const bool = (description: string) =>
  z.union([z.boolean(), z.literal(0), z.literal(1), z.enum(["true", "false", "1", "0"])]).openapi({ description: `${description} (\`true\`, \`false\`, \`1\`, \`0\`)` });

export const PageParams = z.object({
  page: numeric("The page, from 1").optional(),
  limit: numeric("Items per page: default 300, larger values are capped at 300").optional(),
});
export const ExamListParams = PageParams.extend({ status: z.enum(PARTNER_EXAM_STATUSES).optional().openapi({ description: "Only the exams with this status" }) });

export const NewExamParams = z
  .object({
    name: text("The exam's name (required on create)"),
    status: z.enum(PARTNER_EXAM_STATUSES).optional().openapi({ description: "`draft` or `open` on create (default `open`); `closed` completes the exam in TRUSTID" }),
    type: text("The partner's own exam type, kept as given (default `classic`)").optional(),
    exam_type: z.enum(["Oral", "Written"]).optional().openapi({ description: "TRUSTID exam type (default `Written`)" }),
    duration: numeric("Minutes, from 1 to 1440 (default 60)").optional(),
    start_time: numeric("Epoch seconds (default: now)").optional(),
    end_time: numeric("Epoch seconds (without it: `start_time` + `duration`)").optional(),
    instructor_email: text("An instructor of the institution, whose exam it is (without it: the institution's API account)").optional(),
  })
  .openapi("PartnerExamParams");
export const ExamParams = NewExamParams.partial().openapi("PartnerExamUpdateParams");

export const NewSessionParams = z
  .object({
    email: text("The student's email: the institution's TRUSTID student with it, or a new invited account (required on create)"),
    name: text("The student's name, kept on the session").optional(),
    external_id: text("The partner's own id for the student").optional(),
    individual_info: text("Information for this student").optional(),
    is_individual_info_html: bool("Whether `individual_info` is HTML").optional(),
    skip_requirements: bool("ProctorExam's flag, kept as given").optional(),
    send_confirmation: bool("ProctorExam's flag, kept as given").optional(),
    open_time: numeric("Epoch seconds: the student may join from then on; empty (or null) clears it").optional(),
  })
  .openapi("PartnerStudentSessionParams");
export const SessionParams = NewSessionParams.partial().openapi("PartnerStudentSessionUpdateParams");

export const StudentSessionIdParams = z.object({ student_session_id: numeric("The student session's id") });
