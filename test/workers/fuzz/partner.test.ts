// Property-based fuzzing of every partner API (/api/v3) operation of the served OpenAPI document: correctly
// signed requests whose parameters (query, JSON or form; path ids included) are fuzzed, plus requests that
// fail authentication (wrong key, stale timestamp, reused nonce, tampered after signing, no Accept, no or
// another partner's token). The property: never a 5xx (the partner error handler turns unexpected failures
// into a 503, so here any 5xx is a bug), always ProctorExam's error body, and nothing stored on refusal
// (the exams, sessions and queued callbacks of both partner institutions).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsIndex } from "../../../src/routes/partner/exams-index";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import type { Params } from "../../../src/services/partner/signature";
import { bodyAt } from "../api";
import { type Credentials, partnerApi, type SignedCall, signedCall } from "../partner/api";
import { newPartner, nonce, type Partner } from "../partner/helpers";
import { emailAddressLike, hostileString, wrongType } from "./schema-arbitraries";
import { type Answer, checkPartner, fuzz, type Operation, operations, runs, watchUnexpectedErrors } from "./support";
import { expectUnchanged, settled, storedRows } from "./world";

let partner: Partner;
let other: Partner;
let examId: number;
let sessionId: number;
let otherExamId: number;
let otherSessionId: number;
const errors = watchUnexpectedErrors();
const all = await operations("/api/v3");

const EXAM_PARAMS = ["name", "status", "type", "exam_type", "duration", "start_time", "end_time", "instructor_email"];
const SESSION_PARAMS = ["email", "name", "external_id", "individual_info", "is_individual_info_html", "skip_requirements", "send_confirmation", "open_time"];
const PAGE_PARAMS = ["page", "limit", "status"];

/** The parameters an operation reads (its summary in the document names them; the deprecated forms as their modern twins). */
function paramsOf(o: Operation): string[] {
  if (o.path.endsWith("_student")) return [...SESSION_PARAMS, "student_session_id"];
  if (o.path.endsWith("index_students") || o.method === "GET") return PAGE_PARAMS;
  if (o.path.includes("student_sessions")) return SESSION_PARAMS;
  return EXAM_PARAMS;
}

const plausible: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.string({ maxLength: 40 }),
  status: fc.constantFrom("draft", "open", "closed", "Open", "finished", ""),
  type: fc.constantFrom("classic", "record_review", ""),
  exam_type: fc.constantFrom("Oral", "Written", "oral"),
  duration: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.constantFrom("90", "1.5", "1e3", "0x10")),
  start_time: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800 }), fc.constantFrom("1893456000", "-1", "99999999999999999999")),
  end_time: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800 }), fc.constantFrom("1893456000", "1.5")),
  open_time: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800 }), fc.constantFrom("1527500365", "2018-05-28")),
  instructor_email: emailAddressLike,
  email: emailAddressLike,
  external_id: fc.string({ maxLength: 20 }),
  individual_info: fc.oneof(fc.string({ maxLength: 40 }), fc.constant("<b>x</b>".repeat(3000))),
  is_individual_info_html: fc.constantFrom("true", "false", "1", "0", true, false, "yes", ""),
  skip_requirements: fc.constantFrom("true", "false", "1", "0", true, "TRUE"),
  send_confirmation: fc.constantFrom("true", "false", 1, 0, "maybe"),
  page: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom("1", "0", "-1", "1e9", "9007199254740993", "a")),
  limit: fc.oneof(fc.integer({ min: -2, max: 400 }), fc.constantFrom("300", "301", "0", "1.5")),
};

/** Path ids: ours, another partner's, none such, and odd spellings (no lone surrogates: a URL cannot carry them). */
const idLike = () =>
  fc.oneof(
    fc.constantFrom<string | number>(examId, sessionId, otherExamId, otherSessionId, 0, -1, 999_999_999, "9007199254740993", "1e3", "abc", "1.0", " 1", "%", "..", "x".repeat(300)),
    fc.string({ maxLength: 10 }).filter((s) => !/[\ud800-\udfff]/.test(s)),
  );

const value = (name: string) =>
  fc.oneof({ arbitrary: plausible[name] ?? fc.string({ maxLength: 20 }), weight: 5 }, { arbitrary: hostileString, weight: 2 }, { arbitrary: wrongType, weight: 1 });

type Auth = "signed" | "wrong key" | "stale" | "reused nonce" | "tampered" | "no accept" | "no token" | "other token";

/** A fuzzed request: whose credentials sign it, and what it sends. */
type Fuzzed = { auth: Auth; credentials: Credentials; call: SignedCall };

function callFor(o: Operation): fc.Arbitrary<Fuzzed> {
  const names = paramsOf(o);
  const params = fc
    .tuple(
      fc.tuple(...names.map((n) => fc.option(value(n), { freq: 2 }).map((v) => [n, v] as const))),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(hostileString, fc.integer())).filter((d) => !Object.keys(d).some((k) => ["timestamp", "nonce", "signature"].includes(k))),
    )
    .map(([pairs, extra]) => {
      const out: Record<string, unknown> = { ...extra };
      for (const [n, v] of pairs) if (v !== null) out[n] = v;
      if (o.path.endsWith("_student")) out.student_session_id ??= sessionId;
      return out as Params;
    });
  const pathNames = [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const path = fc.tuple(...pathNames.map(() => idLike())).map((ids) => Object.fromEntries(pathNames.map((n, i) => [n, ids[i]!])));
  const auth = fc.oneof(
    { arbitrary: fc.constant<Auth>("signed"), weight: 8 },
    fc.constantFrom<Auth>("wrong key", "stale", "reused nonce", "tampered", "no accept", "no token", "other token"),
  );
  // GET and DELETE carry their parameters in the query (a GET cannot have a body); the others any way.
  const via = o.method === "GET" ? fc.constant<"query">("query") : fc.constantFrom<"json" | "form" | "query">("json", "form", "query");
  return fc.tuple(params, path, auth, via).map(([p, pathValues, a, v]) => {
    const call: SignedCall = { params: p, path: pathValues, via: v };
    let credentials: Credentials = partner;
    if (a === "wrong key") credentials = { ...partner, secretKey: "0".repeat(32) };
    if (a === "stale") call.timestamp = Date.now() - 3600_000;
    if (a === "reused nonce") call.nonce = usedNonce;
    if (a === "tampered") call.afterSigning = (s) => void (s.tampered = "1");
    if (a === "no accept") call.accept = null;
    if (a === "no token") call.authorization = null;
    if (a === "other token") credentials = { ...partner, token: other.token };
    return { auth: a, credentials, call };
  });
}

let usedNonce: string;

beforeAll(async () => {
  partner = await newPartner();
  other = await newPartner();
  const exam = async (who: Partner) => bodyAt(await partnerApi(examsCreate, { credentials: who, json: { name: "Fuzzed", duration: 60 } }), 201).exam.id;
  const session = async (who: Partner, id: number) =>
    bodyAt(await partnerApi(sessionsCreate, { credentials: who, params: { exam_id: id }, json: { email: `s.${crypto.randomUUID()}@example.org`, name: "S" } }), 201).student.id;
  examId = await exam(partner);
  sessionId = await session(partner, examId);
  otherExamId = await exam(other);
  otherSessionId = await session(other, otherExamId);
  usedNonce = nonce();
  const used = await partnerApi(examsIndex, { credentials: partner, nonce: usedNonce });
  if (used.status !== 200) throw new Error(`partner setup failed: ${used.status}`);
}, 120_000);
afterAll(() => errors.restore());

describe("every partner API operation, fuzzed signed parameters", () => {
  it("finds every operation of the document", () => {
    expect(all.length).toBe(16);
  });

  it.each(all.map((o) => [`${o.method} ${o.path}`, o] as const))("%s", async (name, o) => {
    const template = o.path.replace("/api/v3", "").replace(/\{(\w+)\}/g, ":$1");
    const institutions = [partner.institutionId, other.institutionId];
    let lastSucceeded = true;
    await fuzz(
      name,
      fc.asyncProperty(callFor(o), async ({ auth, credentials, call }) => {
        const before = lastSucceeded ? await settled(() => storedRows(institutions)) : await storedRows(institutions);
        // Untyped on purpose (signedCall): the operation comes from the served document, not a route config, and
        // its parameters and path ids are hostile (wrong types, unknown names, odd ids) as typing would forbid.
        const res = await signedCall(credentials, o.method, template, call);
        const answer: Answer = { ...res, text: typeof res.body === "string" ? res.body : JSON.stringify(res.body) };
        const label = `${name} [${auth}] ${JSON.stringify(call.path)} ${JSON.stringify(call.params).slice(0, 300)} via ${call.via}`;
        checkPartner(label, answer);
        lastSucceeded = answer.status < 300;
        expect(errors.take(), "unexpected errors logged").toEqual([]);
        // Unauthenticated: the same 403, unless the parameters could not even be read (they are read first).
        // (404: an odd path id such as ".." that leads to no endpoint at all.)
        if (auth !== "signed") expect([400, 403, 404, 413, 415, 422], label).toContain(answer.status);
        if (answer.status >= 300) expectUnchanged(before, await storedRows(institutions), `${label} ${answer.status}`);
      }),
      runs(8),
      1_500,
    );
  }, 600_000);
});
