// Errors of the partner API, rendered in ProctorExam's own shapes (not the TRUSTID envelopes) by
// routes/partner/errors.ts:
//   { "error": "<message>" }                 403, 404, 413, 415, 503 and parameter errors (422)
//   { "<field>": ["<message>", ...] }          model validation errors (422), e.g. a duplicate email
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { valuePreview } from "../../lib/errors";

export class PartnerError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    /** Model validation errors per field; when set, the body is this object. */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
  }

  /** Every authentication failure looks the same, whatever the reason (logged server-side only). */
  static notAuthorized() {
    return new PartnerError(403, "You are not authorized to access this page.");
  }
  static missing(param: string) {
    return new PartnerError(422, `Param is missing or the value is empty: '${param}'`);
  }
  static invalid(param: string, value: unknown, rule: string) {
    return new PartnerError(422, `Invalid parameter '${param}' value ${valuePreview(value)}: ${rule}`);
  }
  static field(field: string, message: string) {
    return new PartnerError(422, `${field} ${message}`, { [field]: [message] });
  }
  static examNotFound(id: string) {
    return new PartnerError(404, `Couldn't find Exam with 'id'=${id}`);
  }
  static sessionNotFound(id: string) {
    return new PartnerError(404, `Couldn't find StudentSession with 'id'=${id}`);
  }
}
