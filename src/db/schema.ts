// The relational schema (Turso / libSQL). Every row carries its institution so that every query can
// be scoped to the caller's institution. Timestamps are integer milliseconds since the epoch (UTC).
// Biometric templates are not here: they live encrypted in each student's Durable Object.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const ms = (name: string) => integer(name, { mode: "number" });
const createdAt = () => ms("created_at").notNull().default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`);

export const institutions = sqliteTable("institutions", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  code: text("code").notNull().unique(), // what clients send as `organization`: UC, UCY, UPAT, ...
  name: text("name").notNull(),
  moodleUrl: text("moodle_url"),
  moodleToken: text("moodle_token"),
  callbackUrl: text("callback_url"),
  // The default operating point of its biometric decisions (src/biometrics/security-level.ts); an exam may override it.
  securityLevel: text("security_level", { enum: ["high", "standard"] }).notNull().default("high"),
  // IANA zone in which date-times sent without a UTC offset (e.g. `scheduled_date`) are read.
  timeZone: text("time_zone").notNull().default("UTC"),
  createdAt: createdAt(),
});

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    email: text("email").notNull(), // stored lower-cased
    name: text("name").notNull(),
    surname: text("surname").notNull(),
    role: text("role", { enum: ["INSTRUCTOR", "STUDENT"] }).notNull(),
    // Null for accounts created by a course sync that the person has not claimed yet.
    passwordHash: text("password_hash"),
    createdAt: createdAt(),
    updatedAt: ms("updated_at"),
  },
  (t) => [uniqueIndex("users_institution_email").on(t.institutionId, t.email)],
);

// Proof that an invited account (created by a course sync or a partner session, no password yet) is
// claimed by the student it was sent to: a random single-use token, stored only as its SHA-256 hash,
// valid until `expires_at`. `/register_user` on an invited email consumes one (services/invitations.ts).
export const invitations = sqliteTable(
  "invitations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    usedAt: ms("used_at"),
  },
  (t) => [uniqueIndex("invitations_token_hash").on(t.tokenHash), index("invitations_user").on(t.userId)],
);

// Failed-login throttling, keyed by the login identity (not by user row) so that unknown emails are
// throttled exactly like known ones and the lock-out reveals nothing.
export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    email: text("email").notNull(),
    failures: integer("failures").notNull().default(0),
    lockedUntil: ms("locked_until"),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.institutionId, t.email] })],
);

// A family is one login; every refresh rotates the token inside the family. Presenting a token that
// was already rotated away revokes the whole family (the thief and the victim both lose it), with one
// exception for clients that read only `resource_str` (SECURITY.md, "Refresh tokens"): until the family
// has seen a rotated token (`rotated_at` null), its login token keeps being honoured.
export const refreshTokenFamilies = sqliteTable("refresh_token_families", {
  id: text("id").primaryKey(),
  institutionId: integer("institution_id").notNull().references(() => institutions.id),
  userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  createdAt: createdAt(),
  expiresAt: ms("expires_at").notNull(),
  revokedAt: ms("revoked_at"),
  revokedReason: text("revoked_reason"),
  // When a rotated token (one issued by /refresh_token, not by /login) was first presented: from then on
  // the client is known to follow rotation and every reuse revokes the family.
  rotatedAt: ms("rotated_at"),
});

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(), // the JWT's jti
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    familyId: text("family_id").notNull().references(() => refreshTokenFamilies.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: ms("expires_at").notNull(),
    usedAt: ms("used_at"), // first use
    // The token whose first use issued this one (null for the token /login issued). Unique: a token has
    // at most one successor, so of two concurrent first uses exactly one inserts it.
    parentId: text("parent_id"),
  },
  (t) => [index("refresh_tokens_family").on(t.familyId), uniqueIndex("refresh_tokens_parent").on(t.parentId)],
);

export const exams = sqliteTable(
  "exams",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    instructorId: integer("instructor_id").notNull().references(() => users.id),
    name: text("name").notNull(),
    examType: text("exam_type", { enum: ["Oral", "Written"] }).notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    scheduledAt: ms("scheduled_at").notNull(),
    privacyPolicy: text("privacy_policy").notNull(),
    additionalMaterial: integer("additional_material", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: ["Upcoming", "Started", "Completed"] }).notNull().default("Upcoming"),
    startedAt: ms("started_at"),
    completedAt: ms("completed_at"),
    moodleCourseId: text("moodle_course_id"),
    // Keep raw evidence (e.g. a frame that raised an alert) only when the exam asks for it, and only this long.
    evidenceRetentionDays: integer("evidence_retention_days"),
    // Null: the institution's security level decides.
    securityLevel: text("security_level", { enum: ["high", "standard"] }),
    // ProctorExam v3 partner API only (see services/exams/lifecycle.ts for how these combine with `status`).
    // Null on exams created through TRUSTID: they show as `open` until they complete.
    partnerStatus: text("partner_status", { enum: ["draft", "open", "closed"] }),
    partnerType: text("partner_type"), // the partner's own exam `type` (e.g. "classic"), kept as given
    endsAt: ms("ends_at"), // the partner's `end_time`
    createdAt: createdAt(),
    updatedAt: ms("updated_at"),
  },
  (t) => [index("exams_institution_instructor").on(t.institutionId, t.instructorId)],
);

export const enrolments = sqliteTable(
  "enrolments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    examId: integer("exam_id").notNull().references(() => exams.id, { onDelete: "cascade" }),
    studentId: integer("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    verificationStatus: text("verification_status", { enum: ["Pending", "Requested Manual Approval", "Verified"] })
      .notNull()
      .default("Pending"),
    verifiedAt: ms("verified_at"),
    verifiedBy: text("verified_by", { enum: ["face", "manual"] }),
    joinedAt: ms("joined_at"),
    leftAt: ms("left_at"),
    // ProctorExam v3 partner API: the student session's own fields.
    externalId: text("external_id"),
    displayName: text("display_name"), // the session's `name`; the user's name when null
    individualInfo: text("individual_info"),
    isIndividualInfoHtml: integer("is_individual_info_html", { mode: "boolean" }).notNull().default(false),
    skipRequirements: integer("skip_requirements", { mode: "boolean" }).notNull().default(false),
    sendConfirmation: integer("send_confirmation", { mode: "boolean" }).notNull().default(false),
    openTime: ms("open_time"),
    // The session status last reported to the partner (derived from the TRUSTID fields above by
    // services/exams/lifecycle.ts); a difference from the derived status is a change to notify.
    partnerStatus: text("partner_status").notNull().default("registered"),
    createdAt: createdAt(),
    updatedAt: ms("updated_at"),
  },
  (t) => [uniqueIndex("enrolments_exam_student").on(t.examId, t.studentId), index("enrolments_student").on(t.studentId)],
);

export const manualApprovalRequests = sqliteTable(
  "manual_approval_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    examId: integer("exam_id").notNull().references(() => exams.id, { onDelete: "cascade" }),
    studentId: integer("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    approvalType: text("approval_type").notNull(),
    status: text("status", { enum: ["Requested", "Approved"] }).notNull().default("Requested"),
    decidedBy: integer("decided_by").references(() => users.id),
    createdAt: createdAt(),
    decidedAt: ms("decided_at"),
  },
  (t) => [index("manual_approval_exam").on(t.examId)],
);

export const feedback = sqliteTable("feedback", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  institutionId: integer("institution_id").notNull().references(() => institutions.id),
  examId: integer("exam_id").notNull().references(() => exams.id, { onDelete: "cascade" }),
  studentId: integer("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  cheatMode: text("cheat_mode", { enum: ["Communication", "Impersonation"] }).notNull(),
  feedback: text("feedback").notNull(),
  createdAt: createdAt(),
});

// What a device or the server observed, stored as received (after validation).
export const monitoringEvents = sqliteTable(
  "monitoring_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    examId: integer("exam_id").notNull().references(() => exams.id, { onDelete: "cascade" }),
    studentId: integer("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    source: text("source", { enum: ["device", "server"] }).notNull(),
    monitoringType: text("monitoring_type").notNull(), // Identification | Checkup Process | Exam Monitoring
    payload: text("payload", { mode: "json" }).notNull(),
    createdAt: createdAt(),
    // The device's Idempotency-Key: a report resent after a lost answer or a 503 is stored once.
    clientKey: text("client_key"),
  },
  (t) => [
    index("monitoring_events_exam_student").on(t.examId, t.studentId, t.createdAt),
    uniqueIndex("monitoring_events_client_key").on(t.studentId, t.clientKey),
  ],
);

// What an instructor sees: a reason per distinct problem, with when it began and was last seen, so a
// stream of identical events becomes one alert with a count instead of noise.
export const alerts = sqliteTable(
  "alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    examId: integer("exam_id").notNull().references(() => exams.id, { onDelete: "cascade" }),
    studentId: integer("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    reason: text("reason").notNull(), // no_face | multiple_faces | face_mismatch | liveness_failed | forbidden_process | voice_mismatch | template_missing | repeated_sample | client_error
    detail: text("detail"),
    firstEventId: integer("first_event_id").references(() => monitoringEvents.id),
    occurrences: integer("occurrences").notNull().default(1),
    firstSeenAt: ms("first_seen_at").notNull(),
    lastSeenAt: ms("last_seen_at").notNull(),
  },
  (t) => [index("alerts_exam_student").on(t.examId, t.studentId)],
);

// Forbidden running processes: institution-wide (exam_id null) or for one exam; matched case-insensitively
// with `*` and `?` wildcards against the process name.
export const processPolicies = sqliteTable(
  "process_policies",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    examId: integer("exam_id").references(() => exams.id, { onDelete: "cascade" }),
    pattern: text("pattern").notNull(),
    description: text("description"),
    createdAt: createdAt(),
  },
  (t) => [index("process_policies_scope").on(t.institutionId, t.examId)],
);

// ProctorExam v3 partner credentials. The API token is stored only as a SHA-256 hash; the secret key
// must be usable for HMAC, so it is stored sealed with the server's key (see services/partner).
export const partnerCredentials = sqliteTable(
  "partner_credentials",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    tokenHash: text("token_hash").notNull().unique(),
    secretKeySealed: text("secret_key_sealed").notNull(),
    createdAt: createdAt(),
    revokedAt: ms("revoked_at"),
  },
  (t) => [index("partner_credentials_institution").on(t.institutionId)],
);

export const partnerNonces = sqliteTable(
  "partner_nonces",
  {
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    nonce: text("nonce").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.institutionId, t.nonce] }), index("partner_nonces_created").on(t.createdAt)],
);

// Callback events to institutions' `callback_url`, written in the same batch as the status change they
// report, delivered (and retried with backoff) by the scheduled handler until accepted or expired.
export const partnerCallbackOutbox = sqliteTable(
  "partner_callback_outbox",
  {
    id: text("id").primaryKey(), // also sent to the receiver, which can use it to drop duplicates
    institutionId: integer("institution_id").notNull().references(() => institutions.id, { onDelete: "cascade" }),
    // No foreign keys to exams/enrolments: an event outlives the session it reports on.
    examId: integer("exam_id").notNull(),
    enrolmentId: integer("enrolment_id").notNull(),
    payload: text("payload").notNull(), // the exact JSON body to POST
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    nextAttemptAt: ms("next_attempt_at").notNull(),
    lockedUntil: ms("locked_until"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    deliveredAt: ms("delivered_at"),
    failedAt: ms("failed_at"), // gave up: expired before a receiver accepted it
  },
  (t) => [index("partner_callback_outbox_due").on(t.deliveredAt, t.failedAt, t.nextAttemptAt)],
);

// Templates exported to a student's wallet app (docs/wallet.md): the sealed export itself (a JWE the
// server alone can open; the template never appears unsealed here), kept until it expires so that the
// wallet can fetch it even when the push notice is lost, and the push notice's delivery state.
export const walletExports = sqliteTable(
  "wallet_exports",
  {
    id: text("id").primaryKey(), // also the JWE's `jti` and the push message's `data.export_id`
    institutionId: integer("institution_id").notNull().references(() => institutions.id, { onDelete: "cascade" }),
    userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    biometricType: text("biometric_type", { enum: ["Face", "Voice", "Handwriting"] }).notNull(),
    modelId: text("model_id").notNull(),
    templateVersion: integer("template_version").notNull(),
    sealed: text("sealed").notNull(),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    // Null once Expo said DeviceNotRegistered (the token is forgotten everywhere).
    pushToken: text("push_token"),
    // queued (to send, or to resend at next_attempt_at) -> sent (ticket ok, receipt pending)
    // -> delivered (receipt ok: handed to APNs/FCM) | failed (push_error says why; not retried)
    pushStatus: text("push_status", { enum: ["queued", "sent", "delivered", "failed"] }).notNull(),
    pushTicketId: text("push_ticket_id"),
    pushError: text("push_error"),
    pushAttempts: integer("push_attempts").notNull().default(0),
    nextAttemptAt: ms("next_attempt_at"), // when the next send or receipt read is due; null when final
    pushUpdatedAt: ms("push_updated_at"),
    fetchedAt: ms("fetched_at"), // first time the wallet fetched the sealed export
    returnedAt: ms("returned_at"), // the wallet sent this export back and it was restored
  },
  (t) => [
    index("wallet_exports_user").on(t.userId, t.biometricType, t.createdAt),
    index("wallet_exports_due").on(t.pushStatus, t.nextAttemptAt),
    index("wallet_exports_token").on(t.pushToken),
  ],
);

// Erasure of a student's account and all their data (SECURITY.md "Deletion"), asked for by an operator
// with scripts/erase-student.mjs and carried out by the scheduled handler (services/erasure.ts): first
// every database row, then, once every access token the student may still hold has expired, the
// template Durable Object. The row stays as the record that erasure happened (ids and times only).
export const erasureRequests = sqliteTable(
  "erasure_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    studentId: integer("student_id").notNull(), // no foreign key: the user row is what gets erased
    requestedAt: ms("requested_at").notNull(),
    recordsErasedAt: ms("records_erased_at"),
    templatesErasedAt: ms("templates_erased_at"),
  },
  (t) => [index("erasure_requests_pending").on(t.templatesErasedAt), uniqueIndex("erasure_requests_student").on(t.institutionId, t.studentId)],
);

// One row per automated biometric decision (issue 15; docs/decisions.md): what was decided, about whom, with
// which model, threshold and security level, and why, so that the student can get an explanation and
// contest it and an instructor can review it (EU AI Act Art. 12 and 14, GDPR Art. 22). Never the sample
// itself. Written in the same batch as the decision's effect; erased with the student (services/erasure.ts)
// and pruned after the retention period (DECISION_RETENTION_DAYS after the exam's end, services/decisions).
export const decisions = sqliteTable(
  "decisions",
  {
    id: text("id").primaryKey(), // a random UUID: what the API, partner callbacks and contests quote
    institutionId: integer("institution_id").notNull().references(() => institutions.id),
    studentId: integer("student_id").notNull(), // no foreign key: erasure deletes these rows explicitly
    examId: integer("exam_id"), // null: a decision outside any exam (enrolment, a practice verification)
    modality: text("modality", { enum: ["face", "voice", "handwriting", "keystroke", "processes"] }).notNull(),
    action: text("action", { enum: ["register", "verify", "monitoring", "identification"] }).notNull(),
    endpoint: text("endpoint").notNull(), // e.g. /biometrics/face_verify
    // accepted | mismatch | quality (the sample could not be judged) | flagged (an alert other than a
    // mismatch: several faces, a forbidden process) | not_enrolled
    outcome: text("outcome", { enum: ["accepted", "mismatch", "quality", "flagged", "not_enrolled"] }).notNull(),
    reason: text("reason"), // the machine reason: no_face, liveness_failed, inconsistent_set, forbidden_process, ...
    score: real("score"),
    threshold: real("threshold"),
    decideOn: text("decide_on", { enum: ["similarity", "distance"] }),
    securityLevel: text("security_level", { enum: ["high", "standard"] }),
    modelId: text("model_id"),
    modelSha256: text("model_sha256"),
    // The file that turns the compared embeddings into the score, where that is a file (voice: PLDA + cohort,
    // wasm-models/voice-cohort.json): a new scoring file changes the score's scale under the same model id.
    scoringSha256: text("scoring_sha256"),
    templateVersion: integer("template_version"),
    quality: text("quality", { mode: "json" }), // {faces, liveness, speech_seconds, ...}: measurements, never samples
    alertsRaised: text("alerts_raised", { mode: "json" }), // [{reason, detail}] the alerts this decision raised or extended
    clientOs: text("client_os"), // as the client reported it (operating_sys), for the per-cohort error report
    clientDevice: text("client_device"),
    requestId: text("request_id"),
    createdAt: ms("created_at").notNull(),
    // Human oversight: the student's contest and the instructor's resolution (who, when, why).
    contestText: text("contest_text"),
    contestedAt: ms("contested_at"),
    resolution: text("resolution", { enum: ["upheld", "overturned"] }),
    resolutionReason: text("resolution_reason"),
    resolvedBy: integer("resolved_by"),
    resolvedAt: ms("resolved_at"),
  },
  (t) => [
    index("decisions_student").on(t.institutionId, t.studentId, t.createdAt),
    index("decisions_exam").on(t.institutionId, t.examId, t.createdAt),
    index("decisions_contested").on(t.institutionId, t.examId, t.contestedAt),
    index("decisions_created").on(t.createdAt),
  ],
);
