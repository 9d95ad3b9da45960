// Keeps the OpenAPI document and the router in step: every API route is documented, every documented
// operation exists, and the document is what /backend/openapi.json serves.
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { raw } from "../api";

/** What these tests read of the document /backend/openapi.json serves (no route defines that path). */
type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
const openApiDocument = async () => (await raw("/backend/openapi.json")).body as OpenApiDocument;

const NOT_API = new Set(["/backend/openapi.json", "/backend/docs"]);
const toOpenApiPath = (p: string) => p.replace(/\/+$/, "").replace(/:([^/]+)/g, "{$1}");

/**
 * The operations the TRUSTID specification names (/work/shared/spec/trustid-api.txt: "POST /biometrics/face_register
 * (biometricsFaceRegisterCreate)"; its text export wrote some underscores as spaces, NOTES.md there), by the method and
 * path this document gives them (no trailing slash).
 */
const SPEC_OPERATION_IDS: Record<string, string> = {
  "post /backend/biometrics/face_register": "biometricsFaceRegisterCreate",
  "post /backend/biometrics/face_verify": "biometricsFaceVerifyCreate",
  "post /backend/biometrics/interaction/test": "biometricsInteractionTestCreate",
  "post /backend/biometrics/interaction/train": "biometricsInteractionTrainCreate",
  "get /backend/biometrics/list": "biometricsListList",
  "post /backend/biometrics/monitoring": "biometricsMonitoringCreate",
  "post /backend/biometrics/monitoring_face": "biometricsMonitoringFaceCreate",
  "post /backend/biometrics/monitoring_face_oral": "biometricsMonitoringFaceOralCreate",
  "get /backend/biometrics/push_notification": "biometricsPushNotificationList",
  "post /backend/biometrics/register": "biometricsRegisterCreate",
  "get /backend/biometrics/server_status": "biometricsServerStatusList",
  "post /backend/biometrics/unregister": "biometricsUnregisterCreate",
  "post /backend/biometrics/verify": "biometricsVerifyCreate",
  "post /backend/biometrics/wallet/face": "biometricsWalletFaceCreate",
  "post /backend/biometrics/wallet/handwriting": "biometricsWalletHandwritingCreate",
  "post /backend/biometrics/wallet/send": "biometricsWalletSendCreate",
  "get /backend/biometrics/wallet/status": "biometricsWalletStatusList",
  "post /backend/biometrics/wallet/voice": "biometricsWalletVoiceCreate",
  "post /backend/instructor/add_exam": "instructorAddExamCreate",
  "get /backend/instructor/list_exam": "instructorListExamList",
  "post /backend/instructor/manual_approve_student": "instructorManualApproveStudentCreate",
  "get /backend/instructor/moodle_information": "instructorMoodleInformationList",
  "post /backend/instructor/sync_courses_exams": "instructorSyncCoursesExamsCreate",
  "post /backend/instructor/update_exam_details": "instructorUpdateExamDetailsCreate",
  "post /backend/login": "loginCreate",
  "post /backend/monitoring": "monitoringCreate",
  "post /backend/refresh_token": "refreshTokenCreate",
  "post /backend/register_user": "registerUserCreate",
  "post /backend/student/check_verification_status": "studentCheckVerificationStatusCreate",
  "post /backend/student/checkup_process": "studentCheckupProcessCreate",
  "post /backend/student/identification": "studentIdentificationCreate",
  "get /backend/student/list_exam": "studentListExamList",
  "post /backend/student/request_manual_approval": "studentRequestManualApprovalCreate",
  "post /backend/student/submit_feedback": "studentSubmitFeedbackCreate",
  "get /backend/trustid_version": "trustidVersionList",
  "post /backend/update_exam_condition": "updateExamConditionCreate",
};

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and documents exactly the routes the app serves", async () => {
    const res = await raw("/backend/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body as OpenApiDocument;
    expect(doc.openapi).toBe("3.1.0");

    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = new Set<string>();
    for (const r of createApp().routes) {
      if (r.method === "ALL" || r.path.endsWith("*") || NOT_API.has(r.path)) continue;
      served.add(`${r.method} ${toOpenApiPath(r.path)}`);
    }
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it("documents the error envelopes on every operation", async () => {
    const doc = await openApiDocument();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        // TRUSTID routes document its envelopes; partner routes ProctorExam's 403 and 422.
        const expected = path.startsWith("/api/v3") ? ["403", "422"] : ["400", "500"];
        for (const status of expected) {
          expect(op.responses[status], `${method} ${path} documents ${status}`).toBeDefined();
        }
      }
    }
  });

  it("serves every documented operation (no 404/405 for a documented path and method)", async () => {
    const doc = await openApiDocument();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const concrete = path.replace(/\{[^}]+\}/g, "1");
        const res = await raw(concrete, { method: method.toUpperCase(), headers: { "content-type": "application/json" }, body: method === "get" ? undefined : "{}" });
        // A 404 about a missing record is fine here; a 404 for the endpoint itself or a 405 is not.
        expect(res.status, `${method} ${path}`).not.toBe(405);
        expect(res.status === 404 && (res.body as { resource_name?: string }).resource_name === "endpoint", `${method} ${path} is not routed`).toBe(false);
      }
    }
  });

  it("lists each partner operation's parameters (docs/partner-api.md): in the query, and in an optional JSON or form body", async () => {
    type Parameter = { name: string; in: string; required?: boolean; description?: string };
    type Schema = { $ref?: string; properties?: Record<string, { description?: string }>; required?: string[] };
    type Operation = { parameters?: Parameter[]; requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> } };
    const doc = (await raw("/backend/openapi.json")).body as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
    const page = ["page", "limit"];
    const exam = ["name", "status", "type", "exam_type", "duration", "start_time", "end_time", "instructor_email"];
    const session = ["email", "name", "external_id", "individual_info", "is_individual_info_html", "skip_requirements", "send_confirmation", "open_time"];
    // By operation: its parameters, the required ones, and whether a body may carry them (not for GET and DELETE).
    const expected: Record<string, { names: string[]; required: string[]; body: boolean }> = {
      "get /api/v3/exams": { names: [...page, "status"], required: [], body: false },
      "post /api/v3/exams": { names: exam, required: ["name"], body: true },
      "get /api/v3/exams/{id}": { names: [], required: [], body: false },
      "put /api/v3/exams/{id}": { names: exam, required: [], body: true },
      "patch /api/v3/exams/{id}": { names: exam, required: [], body: true },
      "delete /api/v3/exams/{id}": { names: [], required: [], body: false },
      "get /api/v3/exams/{exam_id}/student_sessions": { names: page, required: [], body: false },
      "post /api/v3/exams/{exam_id}/student_sessions": { names: session, required: ["email"], body: true },
      "get /api/v3/exams/{exam_id}/student_sessions/{id}": { names: [], required: [], body: false },
      "put /api/v3/exams/{exam_id}/student_sessions/{id}": { names: session, required: [], body: true },
      "patch /api/v3/exams/{exam_id}/student_sessions/{id}": { names: session, required: [], body: true },
      "delete /api/v3/exams/{exam_id}/student_sessions/{id}": { names: [], required: [], body: false },
      "post /api/v3/exams/{id}/add_student": { names: session, required: ["email"], body: true },
      "get /api/v3/exams/{id}/index_students": { names: page, required: [], body: false },
      "get /api/v3/exams/{id}/show_student": { names: ["student_session_id"], required: ["student_session_id"], body: false },
      "delete /api/v3/exams/{id}/delete_student": { names: ["student_session_id"], required: ["student_session_id"], body: false },
    };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/v3"))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(Object.keys(expected).sort());

    const sorted = (names: string[]) => [...names].sort();
    // Every operation is signed: a client generated from the document must send these (a probe's got 403 on every call).
    const signing = ["timestamp", "nonce", "signature"];
    for (const [operation, want] of Object.entries(expected)) {
      const [method, path] = operation.split(" ") as [string, string];
      const op = doc.paths[path]![method]!;
      const query = (op.parameters ?? []).filter((p) => p.in === "query");
      expect(sorted(query.map((p) => p.name)), `${operation}: query parameters`).toEqual(sorted([...want.names, ...signing]));
      for (const p of query) expect(p.description, `${operation}: ${p.name} is described`).toBeTruthy();
      expect((op.parameters ?? []).find((p) => p.in === "header" && p.name === "accept"), `${operation}: the Accept header`).toMatchObject({ required: true });
      // A generated client takes Accept from the responses' first media type (a probe's swagger-client sent application/json).
      for (const [status, response] of Object.entries((op as { responses: Record<string, { content?: Record<string, unknown> }> }).responses)) {
        expect(Object.keys(response.content ?? {})[0], `${operation} ${status}`).toBe("application/vnd.procwise.v3");
      }
      if (!want.body) {
        expect(op.requestBody, `${operation}: no body`).toBeUndefined();
        expect(sorted(query.filter((p) => p.required).map((p) => p.name)), `${operation}: required`).toEqual(sorted([...want.required, ...signing]));
        continue;
      }
      // A required parameter may come in the query or the body: optional in each, required in a body that has it all.
      expect(sorted(query.filter((p) => p.required).map((p) => p.name)), `${operation}: only the signing parameters required in the query`).toEqual(sorted(signing));
      expect(op.requestBody?.required, `${operation}: the body is optional`).toBe(false);
      expect(sorted(Object.keys(op.requestBody?.content ?? {}))).toEqual(["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]);
      for (const { schema } of Object.values(op.requestBody!.content)) {
        const resolved = schema.$ref ? doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")]! : schema;
        expect(sorted(Object.keys(resolved.properties ?? {})), `${operation}: body parameters`).toEqual(sorted(want.names));
        expect(sorted(resolved.required ?? []), `${operation}: required in the body`).toEqual(sorted(want.required));
      }
    }
  });

  it("says which of several optional fields one must be sent (a client generated from it must not omit them all)", async () => {
    const doc = (await raw("/backend/openapi.json")).body as { components: { schemas: Record<string, { anyOf?: { required: string[] }[] }> } };
    const oneOf = (name: string) => doc.components.schemas[name]?.anyOf?.map((a) => a.required.join());
    expect(oneOf("BiometricsFaceRegister")).toEqual(["image", "images"]);
    for (const name of ["BiometricsRegister", "BiometricsVerify", "BiometricsMonitoring"]) expect(oneOf(name), name).toEqual(["voice_base64", "src"]);
    expect(oneOf("BiometricsWalletSend")).toEqual(["face_embeddings", "voice_embeddings", "handwriting_embeddings"]);
  });

  it("gives every operation a unique operationId, the specification's name where it names the operation (probe Y)", async () => {
    const doc = (await raw("/backend/openapi.json")).body as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = new Map<string, string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const operation = `${method} ${path}`;
        expect(op.operationId, `${operation}: operationId`).toMatch(/^[a-z][A-Za-z0-9]*$/);
        expect(ids.get(op.operationId!), `${operation}: ${op.operationId} is unique`).toBeUndefined();
        ids.set(op.operationId!, operation);
      }
    }
    expect(Object.keys(SPEC_OPERATION_IDS)).toHaveLength(36);
    for (const [operation, name] of Object.entries(SPEC_OPERATION_IDS)) expect(ids.get(name), name).toBe(operation);
    // The service's own operations are named the same way (a GET of one record is Read; PUT Update, PATCH PartialUpdate).
    expect(ids.get("instructorDecisionReportList")).toBe("get /backend/instructor/decision_report");
    expect(ids.get("examsRead")).toBe("get /api/v3/exams/{id}");
    expect(ids.get("examsPartialUpdate")).toBe("patch /api/v3/exams/{id}");
    expect(ids.get("examsStudentSessionsDelete")).toBe("delete /api/v3/exams/{exam_id}/student_sessions/{id}");
  });

  it("shows add_exam a scheduled_date example it takes, and moodle_course_id's digits (probe Y)", async () => {
    type Property = { example?: string; pattern?: string; type?: string[] };
    const doc = (await raw("/backend/openapi.json")).body as { components: { schemas: Record<string, { properties: Record<string, Property> }> } };
    const addExam = doc.components.schemas.AddExam!.properties;
    // In the future (the field's rule) and within two years (the service refuses a date further ahead).
    const example = Date.parse(addExam.scheduled_date!.example!);
    expect(example).toBeGreaterThan(Date.now());
    expect(example).toBeLessThan(Date.now() + 2 * 365 * 86_400_000);
    // The pattern describes the string forms the schema takes: digits, or "" for no course.
    for (const name of ["AddExam", "UpdateExam"]) {
      const pattern = new RegExp(doc.components.schemas[name]!.properties.moodle_course_id!.pattern!);
      expect(["12", "0012", ""].every((s) => pattern.test(s)), name).toBe(true);
      expect(["12a", " 12", "-1", "1".repeat(16)].some((s) => pattern.test(s)), name).toBe(false);
    }
  });

  it("serves an API reference page that loads only our own assets", async () => {
    const res = await raw("/backend/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const scripts = [...String(res.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toMatch(/^\/backend\/docs\/assets\//);
  });
});
