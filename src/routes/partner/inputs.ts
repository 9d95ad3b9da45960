// The partner endpoints' parameters, read and checked (ProctorExam's rules and 422 messages).
import { optBool, optEnum, optEpochSeconds, optPositiveInt, optString, reqString } from "../../services/partner/params";
import type { ExamInput } from "../../services/partner/exams";
import type { SessionInput } from "../../services/partner/sessions";
import type { Params } from "../../services/partner/signature";
import { PARTNER_EXAM_STATUSES } from "../../services/exams/lifecycle";

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());

export function examInput(p: Params): ExamInput {
  return {
    name: nonEmpty(optString(p, "name", 255)),
    status: optEnum(p, "status", PARTNER_EXAM_STATUSES),
    type: nonEmpty(optString(p, "type", 64)),
    examType: optEnum(p, "exam_type", ["Oral", "Written"] as const),
    duration: optPositiveInt(p, "duration", 24 * 60),
    startTime: optEpochSeconds(p, "start_time"),
    endTime: optEpochSeconds(p, "end_time"),
    instructorEmail: nonEmpty(optString(p, "instructor_email", 254)),
  };
}

export const newExamInput = (p: Params) => ({ ...examInput(p), name: reqString(p, "name", 255) });

export function sessionInput(p: Params): SessionInput {
  return {
    name: nonEmpty(optString(p, "name", 255)),
    email: nonEmpty(optString(p, "email", 254)),
    externalId: optString(p, "external_id", 255),
    individualInfo: optString(p, "individual_info", 20_000),
    isIndividualInfoHtml: optBool(p, "is_individual_info_html"),
    skipRequirements: optBool(p, "skip_requirements"),
    sendConfirmation: optBool(p, "send_confirmation"),
    openTime: optEpochSeconds(p, "open_time"),
  };
}

export const newSessionInput = (p: Params) => ({ ...sessionInput(p), email: reqString(p, "email", 254) });
