// GET /backend/student/my_data
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { STUDENT_DATA_LIMIT, studentData } from "../../services/student-data";
import type { AppEnv } from "../../types";
import { DecisionView, decisionView } from "../decision-schemas";
import { ExamId } from "../exam-schemas";
import { authErrors, commonErrors, envelope, ok, queryParams } from "../schemas";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Rows = z.array(z.record(z.string(), z.unknown()));

const MyData = z
  .object({
    account: z.object({ email: z.string(), name: z.string(), surname: z.string(), organization: z.string(), role: z.string(), created_at: z.string() }),
    enrolments: Rows.openapi({ description: "The exams the student is enrolled in, with their verification state and what a partner's session keeps (external_id, individual_info, open_time, ...)" }),
    alerts: Rows.openapi({ description: "Every alert raised about the student, by device reports and by the server's checks" }),
    monitoring_events: Rows.openapi({ description: "What was recorded at each monitoring report or check (outcomes and scores, never a picture or recording)" }),
    feedback: Rows,
    manual_approval_requests: Rows,
    decisions: z.array(DecisionView).openapi({ description: "As GET /student/decisions, all of them" }),
    wallet_exports: Rows.openapi({ description: "Sealed template copies made for the wallet app: every column kept (template version, Expo push token, the notice's status, error and attempts, when the wallet fetched and returned it), but not the sealed copy itself (the wallet's)" }),
    partner_callbacks: Rows.openapi({ description: "Events about the student's sessions queued for the institution's own system (partner API callbacks), with the body sent" }),
    biometric_templates: z
      .array(z.object({ biometric_type: z.string(), model_id: z.string(), samples: z.number(), created_at: z.string(), current: z.boolean() }))
      .nullable()
      .openapi({ description: "What the student's template store holds (never the templates themselves); null when this server has no biometrics" }),
    enrolment_sessions: z
      .array(z.object({ biometric_type: z.string(), last_added_at: z.string(), expires_at: z.string() }))
      .nullable()
      .openapi({ description: "Signatures being collected for a handwriting model (sent one per request; kept sealed until expires_at, or deleted by unregister); null when this server has no biometrics" }),
    truncated: z.array(z.string()).openapi({ description: `Lists that held more than ${STUDENT_DATA_LIMIT} rows: only the newest ${STUDENT_DATA_LIMIT} are here` }),
  })
  .openapi("StudentData");

export const route = createRoute({
  method: "get",
  path: "/student/my_data",
  tags: ["Student"],
  summary: "A copy of everything the service keeps about the calling student, as JSON (GDPR access and portability)",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT")] as const,
  request: {
    query: queryParams({
      exam_id: ExamId.optional().openapi({ description: "Only this exam's enrolment, alerts, events, feedback, approval requests and decisions (lists cut at the limit can be read exam by exam)" }),
    }),
  },
  responses: {
    200: ok(envelope({ resource_dict: MyData }), "The student's data"),
    ...authErrors,
    ...commonErrors,
  },
});

export const registerStudentMyData = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { exam_id } = c.req.valid("query");
    const d = await studentData(c.env, dbOf(c), c.get("caller"), exam_id);
    return c.json(
      {
        message: "Your data",
        resource_name: "student_data",
        resource_dict: {
          account: { email: d.account.email, name: d.account.name, surname: d.account.surname, organization: d.account.organization, role: d.account.role, created_at: iso(d.account.createdAt)! },
          enrolments: d.enrolments.map((e) => ({
            exam_id: e.examId, exam_name: e.examName, scheduled_at: iso(e.scheduledAt), verification_status: e.verificationStatus, verified_by: e.verifiedBy,
            verified_at: iso(e.verifiedAt), joined_at: iso(e.joinedAt), left_at: iso(e.leftAt), display_name: e.displayName, enrolled_at: iso(e.createdAt),
            external_id: e.externalId, individual_info: e.individualInfo, is_individual_info_html: e.isIndividualInfoHtml, skip_requirements: e.skipRequirements,
            send_confirmation: e.sendConfirmation, open_time: iso(e.openTime), partner_status: e.partnerStatus,
          })),
          alerts: d.alerts.map((a) => ({ exam_id: a.examId, reason: a.reason, detail: a.detail, occurrences: a.occurrences, first_seen_at: iso(a.firstSeenAt), last_seen_at: iso(a.lastSeenAt) })),
          monitoring_events: d.monitoringEvents.map((e) => ({ exam_id: e.examId, source: e.source, monitoring_type: e.monitoringType, recorded: e.payload, created_at: iso(e.createdAt) })),
          feedback: d.feedback.map((f) => ({ exam_id: f.examId, cheat_mode: f.cheatMode, feedback: f.feedback, created_at: iso(f.createdAt) })),
          manual_approval_requests: d.manualApprovalRequests.map((r) => ({ exam_id: r.examId, approval_type: r.approvalType, status: r.status, requested_at: iso(r.createdAt), decided_at: iso(r.decidedAt) })),
          decisions: d.decisions.map(decisionView),
          wallet_exports: d.walletExports.map((w) => ({
            export_id: w.id, biometric_type: w.biometricType, model_id: w.modelId, template_version: w.templateVersion,
            created_at: iso(w.createdAt), expires_at: iso(w.expiresAt), push_token: w.pushToken, push_status: w.pushStatus,
            push_ticket_id: w.pushTicketId, push_error: w.pushError, push_attempts: w.pushAttempts, next_attempt_at: iso(w.nextAttemptAt),
            push_updated_at: iso(w.pushUpdatedAt), fetched_at: iso(w.fetchedAt), returned_at: iso(w.returnedAt),
          })),
          partner_callbacks: d.partnerCallbacks.map((p) => ({
            id: p.id, exam_id: p.examId, created_at: iso(p.createdAt), expires_at: iso(p.expiresAt), delivered_at: iso(p.deliveredAt), failed_at: iso(p.failedAt),
            body: JSON.parse(p.payload) as unknown,
          })),
          biometric_templates: d.templates?.map((t) => ({ biometric_type: t.biometricType, model_id: t.modelId, samples: t.samples, created_at: iso(t.createdAt)!, current: t.current })) ?? null,
          enrolment_sessions: d.enrolmentSessions?.map((e) => ({ biometric_type: e.biometricType, last_added_at: iso(e.lastAddedAt)!, expires_at: iso(e.expiresAt)! })) ?? null,
          truncated: d.truncated,
        },
      },
      200,
    );
  });
