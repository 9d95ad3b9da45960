// Authentication of the partner API: every way a request can be wrong is the same documented 403.
import { beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { partnerCredentials, partnerNonces, users } from "../../../src/db/schema";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsShow } from "../../../src/routes/partner/exams-show";
import { routeFor as examsUpdate } from "../../../src/routes/partner/exams-update";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsDestroy } from "../../../src/routes/partner/sessions-destroy";
import { route as sessionsIndex } from "../../../src/routes/partner/sessions-index";
import { route as sessionsShow } from "../../../src/routes/partner/sessions-show";
import { routeFor as sessionsUpdate } from "../../../src/routes/partner/sessions-update";
import { identifyToken, issueCredential } from "../../../src/services/partner/credentials";
import { randomHex, sealSecret, sha256Hex } from "../../../src/services/partner/crypto";
import { signParams } from "../../../src/services/partner/signature";
import { pruneNonces } from "../../../src/services/partner/nonces";
import { bodyAt } from "../api";
import { type Credentials, partnerApi, type PartnerParams, sentAs, type Signing, signedCall } from "./api";
import { db, newPartner, nonce, NOT_AUTHORIZED, type Partner, SEAL_KEY } from "./helpers";

let partner: Partner;
let examId: number;

beforeAll(async () => {
  partner = await newPartner();
  const res = await partnerApi(examsCreate, { credentials: partner, json: { name: "Auth exam" } });
  expect(res.status).toBe(201);
  examId = bodyAt(res, 201).exam.id;
});

/** GET /exams/:id, signed as `over` says (other credentials: another token or secret key). */
const show = (over: Signing & { credentials?: Credentials } = {}) => partnerApi(examsShow, { credentials: partner, params: { id: examId }, ...over });

describe("partner API authentication", () => {
  it("accepts a correctly signed request (query, JSON and form parameters)", async () => {
    expect((await show()).status).toBe(200);
    for (const via of ["json", "form", "query"] as const) {
      const params: PartnerParams<typeof examsCreate> = { name: `Via ${via}`, duration: 45, start_time: 1893456000 };
      const res = await partnerApi(examsCreate, { credentials: partner, ...sentAs(via, params) });
      expect(res.status, via).toBe(201);
      expect(bodyAt(res, 201).exam).toMatchObject({ name: `Via ${via}`, duration: 45, start_time: "2030-01-01T00:00:00.000Z" });
    }
  });

  it("accepts the token quoted, and Accept among other media types", async () => {
    const res = await show({ accept: `application/json, application/vnd.procwise.v3` });
    expect(res.status).toBe(200);
  });

  it("refuses an altered parameter", async () => {
    const res = await partnerApi(examsCreate, {
      credentials: partner,
      json: { name: "Signed name" },
      afterSigning: (p) => void (p.name = "Other name"),
    });
    expect(res).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a signed parameter that is then not sent", async () => {
    const res = await partnerApi(examsCreate, {
      credentials: partner,
      json: { name: "x", duration: 30 },
      afterSigning: (p) => void delete p.duration,
    });
    expect(res).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses an extra parameter that was not signed", async () => {
    const res = await partnerApi(examsCreate, {
      credentials: partner,
      json: { name: "x" },
      afterSigning: (p) => void (p.duration = 30),
    });
    expect(res).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a signature that leaves out the path id, or signs another id", async () => {
    const withoutId = await show({ signOnly: ({ id: _id, ...rest }) => rest });
    expect(withoutId).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    const otherId = await show({ signOnly: (p) => ({ ...p, id: String(examId + 1) }) });
    expect(otherId).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a signature made with the wrong secret key", async () => {
    const res = await show({ credentials: { ...partner, secretKey: "0".repeat(64) } });
    expect(res).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a missing or malformed signature, and a missing timestamp or nonce", async () => {
    for (const drop of ["signature", "timestamp", "nonce"]) {
      const res = await show({ afterSigning: (p) => void delete p[drop] });
      expect(res, drop).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
      const empty = await show({ signOnly: (p) => ({ ...p, [drop]: "" }), afterSigning: (p) => void (p[drop] = "") });
      expect(empty, `empty ${drop}`).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    }
    expect((await show({ afterSigning: (p) => void (p.signature = "not-hex") })).status).toBe(403);
    // A nonce that is not a number is the 422 of the next test (it was this 403 before a probe).
    expect(await show({ nonce: "abc" })).toMatchObject({ status: 422, body: { error: `Invalid parameter 'nonce' value "abc": Must be a number.` } });
  });

  // The spec: nonce and timestamp "Must be a number." A probe's correctly signed UUID nonce and `timestamp=now` got
  // the bare 403 (logged "no nonce"). No such value can ever be valid: the 422 naming it, before the signature.
  it("answers a timestamp or nonce that is not a whole number with the 422 naming it", async () => {
    const invalid = (name: string, value: string, rule: string) => ({ status: 422, body: { error: `Invalid parameter '${name}' value ${value}: ${rule}` } });
    const uuid = crypto.randomUUID();
    expect(await show({ nonce: uuid })).toMatchObject(invalid("nonce", `"${uuid}"`, "Must be a number."));
    const now = await show({ signOnly: (p) => ({ ...p, timestamp: "now" }), afterSigning: (p) => void (p.timestamp = "now") });
    expect(now).toMatchObject(invalid("timestamp", `"now"`, "Must be a number."));
    // In a JSON body too, and a JSON value that is no number.
    const created = await partnerApi(examsCreate, { credentials: partner, json: { name: "UUID nonce" }, nonce: uuid });
    expect(created).toMatchObject(invalid("nonce", `"${uuid}"`, "Must be a number."));
    const yes = await partnerApi(examsCreate, { credentials: partner, json: { name: "x" }, signOnly: (p) => ({ ...p, nonce: true }), afterSigning: (p) => void (p.nonce = true) });
    expect(yes).toMatchObject(invalid("nonce", "true", "Must be a number."));
    // Numbers no nonce or timestamp is written as.
    for (const [name, value, digits] of [["nonce", "-5", 40], ["nonce", "1.5", 40], ["nonce", "1".repeat(41), 40], ["timestamp", "1".repeat(17), 16]] as const) {
      const res = await show({ signOnly: (p) => ({ ...p, [name]: value }), afterSigning: (p) => void (p[name] = value) });
      expect(res, `${name}=${value}`).toMatchObject(invalid(name, `"${value}"`, `Must be a whole number of at most ${digits} digits.`));
    }
    // The value alone decides it, signed or not; a request without Accept or token is still the 403.
    expect(await show({ nonce: uuid, credentials: { ...partner, secretKey: "0".repeat(64) } })).toMatchObject(invalid("nonce", `"${uuid}"`, "Must be a number."));
    expect(await show({ nonce: uuid, accept: null })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await show({ nonce: uuid, authorization: null })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a reused nonce, and does not burn a nonce on a badly signed request", async () => {
    const n = nonce();
    expect((await show({ nonce: n, credentials: { ...partner, secretKey: "f".repeat(64) } })).status).toBe(403);
    expect((await show({ nonce: n })).status).toBe(200);
    expect(await show({ nonce: n })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a reused nonce on the reads that use it up in their own batch, also after an error answer", async () => {
    const sessions = (over: Signing & { query?: PartnerParams<typeof sessionsIndex> } = {}) =>
      partnerApi(sessionsIndex, { credentials: partner, params: { exam_id: examId }, ...over });
    const showExam = (id: string | number, over: Signing = {}) => partnerApi(examsShow, { credentials: partner, params: { id }, ...over });
    const n = nonce();
    expect((await sessions({ nonce: n })).status).toBe(200);
    expect(await sessions({ nonce: n })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    // The nonce is used up even when the endpoint answers an error before or after its batch. These requests
    // are of the routes' types but carry what the routes refuse: a limit of 0 (422), an id no exam has and
    // one that is not an id at all ("abc"; path ids travel as text) (404).
    const bad = nonce();
    expect((await sessions({ nonce: bad, query: { limit: "0" } })).status).toBe(422);
    expect(await sessions({ nonce: bad, query: { limit: "0" } })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    const missing = nonce();
    expect((await showExam(999_999_999, { nonce: missing })).status).toBe(404);
    expect(await showExam(999_999_999, { nonce: missing })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    const notAnId = nonce();
    expect((await showExam("abc", { nonce: notAnId })).status).toBe(404);
    expect(await showExam("abc", { nonce: notAnId })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a reused nonce on writes that use it up with their first read, and applies nothing", async () => {
    const exam = await partnerApi(examsCreate, { credentials: partner, json: { name: "Replay target" } });
    const id = bodyAt(exam, 201).exam.id;
    const n = nonce();
    expect((await partnerApi(examsUpdate("put"), { credentials: partner, params: { id }, nonce: n, json: { name: "First" } })).status).toBe(200);
    const replay = await partnerApi(examsUpdate("put"), { credentials: partner, params: { id }, nonce: n, json: { name: "Replayed" } });
    expect(replay).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(bodyAt(await partnerApi(examsShow, { credentials: partner, params: { id } }), 200).exam.name).toBe("First");
    const m = nonce();
    const session = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: id }, json: { email: `replay-${m}@example.org` } });
    const sessionIds = { exam_id: id, id: bodyAt(session, 201).student.id };
    expect((await partnerApi(sessionsUpdate("put"), { credentials: partner, params: sessionIds, nonce: m, json: { name: "Kept" } })).status).toBe(200);
    expect((await partnerApi(sessionsDestroy, { credentials: partner, params: sessionIds, nonce: m })).status).toBe(403);
    const still = await partnerApi(sessionsShow, { credentials: partner, params: sessionIds });
    expect(still.status).toBe(200);
    expect(bodyAt(still, 200).student.name).toBe("Kept");
  });

  it("refuses a replayed session create or email move before its batch writes anything: no account, session or token", async () => {
    const accountOf = (address: string) => db().select().from(users).where(and(eq(users.institutionId, partner.institutionId), eq(users.email, address)));
    const n = nonce();
    expect((await partnerApi(examsShow, { credentials: partner, params: { id: examId }, nonce: n })).status).toBe(200);
    const created = `replayed-create-${n}@example.org`;
    const replayedCreate = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: examId }, nonce: n, json: { email: created } });
    expect(replayedCreate).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await accountOf(created)).toEqual([]);
    const session = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: examId }, json: { email: `replay-kept-${n}@example.org` } });
    const ids = { exam_id: examId, id: bodyAt(session, 201).student.id };
    const movedTo = `replayed-move-${n}@example.org`;
    const replayedMove = await partnerApi(sessionsUpdate("put"), { credentials: partner, params: ids, nonce: n, json: { email: movedTo } });
    expect(replayedMove).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await accountOf(movedTo)).toEqual([]);
    expect(bodyAt(await partnerApi(sessionsShow, { credentials: partner, params: ids }), 200).student.email).toBe(`replay-kept-${n}@example.org`);
  });

  it("accepts a nonce sent twice at once only once (reads using it up in their batch)", async () => {
    const n = nonce();
    const answers = await Promise.all([show({ nonce: n }), show({ nonce: n }), show({ nonce: n })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403, 403]);
  });

  it("accepts a nonce again after 24 hours, and prunes old nonces", async () => {
    const n = nonce();
    expect((await show({ nonce: n })).status).toBe(200);
    const key = and(eq(partnerNonces.institutionId, partner.institutionId), eq(partnerNonces.nonce, n));
    await db().update(partnerNonces).set({ createdAt: Date.now() - 24 * 3600_000 - 1000 }).where(key);
    expect((await show({ nonce: n })).status).toBe(200);
    expect((await show({ nonce: n })).status).toBe(403);
    await db().update(partnerNonces).set({ createdAt: Date.now() - 25 * 3600_000 }).where(key);
    await pruneNonces(db(), Date.now());
    expect(await db().select().from(partnerNonces).where(key)).toEqual([]);
  });

  it("signs decoded values: spaces, reserved characters and non-ASCII in query, form and JSON", async () => {
    const name = "Exam a+b & c=d?e/f %20 ü 漢字";
    for (const via of ["query", "form", "json"] as const) {
      const res = await partnerApi(examsCreate, { credentials: partner, ...sentAs(via, { name }) });
      expect(res.status, via).toBe(201);
      expect(bodyAt(res, 201).exam.name).toBe(name);
    }
  });

  it("signs JSON numbers as the client wrote them (60.0, 6e1, a nonce beyond 2^53); their JavaScript text works too", async () => {
    const { SELF } = await import("cloudflare:test");
    const send = async (duration: string, signedDuration: string, nonceText: string) => {
      const timestamp = Date.now();
      const signature = await signParams(partner.secretKey, { name: "Python exam", duration: signedDuration, timestamp, nonce: nonceText });
      return SELF.fetch("http://trustid.test/api/v3/exams", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/vnd.procwise.v3", authorization: `Token token=${partner.token}` },
        body: `{"name": "Python exam", "duration": ${duration}, "timestamp": ${timestamp}, "nonce": ${nonceText}, "signature": "${signature}"}`,
      });
    };
    const big = () => `9${String(Date.now())}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`; // > 2^53
    for (const [written, signedAs] of [["60.0", "60.0"], ["6e1", "6e1"], ["60.0", "60"], ["60", "60"]]) {
      const res = await send(written!, signedAs!, big());
      expect(res.status, `${written} signed as ${signedAs}`).toBe(201);
      expect(((await res.json()) as { exam: { duration: number } }).exam.duration).toBe(60);
    }
    expect((await send("60.0", "61", big())).status).toBe(403);
    // The nonce's every digit counts: one beyond 2^53 used again is refused, a neighbour (same double) is not.
    const n = big();
    expect((await send("60", "60", n)).status).toBe(201);
    expect((await send("60", "60", n)).status).toBe(403);
    expect((await send("60", "60", n.slice(0, -1) + String((Number(n.at(-1)) + 1) % 10))).status).toBe(201);
  });

  it("keeps nonces per institution", async () => {
    const other = await newPartner();
    const otherExam = bodyAt(await partnerApi(examsCreate, { credentials: other, json: { name: "Other" } }), 201).exam.id;
    const n = nonce();
    expect((await show({ nonce: n })).status).toBe(200);
    expect((await partnerApi(examsShow, { credentials: other, params: { id: otherExam }, nonce: n })).status).toBe(200);
  });

  it("refuses a stale or a future timestamp (default window 300 s)", async () => {
    expect(await show({ timestamp: Date.now() - 301_000 })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await show({ timestamp: Date.now() + 301_000 })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect((await show({ timestamp: Date.now() - 200_000 })).status).toBe(200);
  });

  it("refuses a wrong, revoked or missing token and a malformed Authorization", async () => {
    expect(await show({ credentials: { ...partner, token: "0".repeat(64) } })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await show({ authorization: null })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    const res = await show({ credentials: { ...partner, token: `${partner.token}"x` } });
    expect(res.status).toBe(403);
  });

  it("refuses a missing or different Accept", async () => {
    expect(await show({ accept: null })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await show({ accept: "application/json" })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
    expect(await show({ accept: "application/vnd.procwise.v2" })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("refuses a token of one institution signed with another institution's key", async () => {
    const other = await newPartner();
    expect(await show({ credentials: { ...partner, secretKey: other.secretKey } })).toMatchObject({ status: 403, body: NOT_AUTHORIZED });
  });

  it("rotates without downtime: two active credentials, then the oldest is revoked", async () => {
    const p = await newPartner();
    const exam = await partnerApi(examsCreate, { credentials: p, json: { name: "Rotation" } });
    const params = { id: bodyAt(exam, 201).exam.id };
    const showWith = (credentials: Credentials) => partnerApi(examsShow, { credentials, params });
    const second = await issueCredential(db(), SEAL_KEY, p.institutionId, Date.now());
    const p2: Partner = { ...p, token: second.token, secretKey: second.secretKey };
    // Old and new keys both work, with either token (a client may update token and key separately).
    expect((await showWith(p)).status).toBe(200);
    expect((await showWith(p2)).status).toBe(200);
    expect((await showWith({ ...p, secretKey: second.secretKey })).status).toBe(200);
    // A third credential revokes the first: its token and key stop working.
    const third = await issueCredential(db(), SEAL_KEY, p.institutionId, Date.now());
    expect((await showWith(p)).status).toBe(403);
    expect((await showWith({ ...p2, secretKey: p.secretKey })).status).toBe(403);
    expect((await showWith(p2)).status).toBe(200);
    expect((await showWith({ token: third.token, secretKey: third.secretKey })).status).toBe(200);
  });

  it("keeps a token's credentials per isolate for the cache time: a revocation made elsewhere applies within it", async () => {
    const p = await newPartner();
    const t0 = Date.now();
    const cacheMs = 60_000;
    expect((await identifyToken(db(), SEAL_KEY, p.token, t0, cacheMs))?.institutionId).toBe(p.institutionId);
    // Revoked by the operator script (another process): this isolate does not hear of it.
    await db().update(partnerCredentials).set({ revokedAt: t0 }).where(eq(partnerCredentials.institutionId, p.institutionId));
    expect((await identifyToken(db(), SEAL_KEY, p.token, t0 + 1000, cacheMs))?.institutionId).toBe(p.institutionId); // documented staleness
    expect(await identifyToken(db(), SEAL_KEY, p.token, t0 + 1000)).toBeNull(); // without the cache: read at once
    expect(await identifyToken(db(), SEAL_KEY, p.token, t0 + 2000, cacheMs)).toBeNull(); // that read replaced the cached answer
    // Once the time is up the cached answer is read again.
    const q = await newPartner();
    expect((await identifyToken(db(), SEAL_KEY, q.token, t0, cacheMs))?.institutionId).toBe(q.institutionId);
    await db().update(partnerCredentials).set({ revokedAt: t0 }).where(eq(partnerCredentials.institutionId, q.institutionId));
    expect(await identifyToken(db(), SEAL_KEY, q.token, t0 + cacheMs, cacheMs)).toBeNull();
  });

  it("accepts a key rotated in by another process at once, though the token's credentials are cached", async () => {
    const p = await newPartner();
    const exam = await partnerApi(examsCreate, { credentials: p, json: { name: "Rotated elsewhere" } });
    const params = { id: bodyAt(exam, 201).exam.id };
    expect((await partnerApi(examsShow, { credentials: p, params })).status).toBe(200); // credentials now cached
    // As scripts/partner-credentials.mjs rotate does (its own process: this isolate's cache is not told).
    const newKey = randomHex(32);
    await db()
      .insert(partnerCredentials)
      .values({ institutionId: p.institutionId, tokenHash: await sha256Hex(randomHex(32)), secretKeySealed: await sealSecret(SEAL_KEY, p.institutionId, newKey), createdAt: Date.now() });
    expect((await partnerApi(examsShow, { credentials: { ...p, secretKey: newKey }, params })).status).toBe(200);
    expect((await partnerApi(examsShow, { credentials: { ...p, secretKey: "e".repeat(64) }, params })).status).toBe(403);
  });

  it("answers 503 in the partner shape when the sealing key is not configured (TRUSTID keeps serving)", async () => {
    const { createApp } = await import("../../../src/app");
    const { bindings } = await import("./helpers");
    const unconfigured = { ...bindings, PARTNER_SECRET_KEY_ENCRYPTION_KEY: undefined };
    const app = createApp();
    const res = await app.request("/api/v3/exams", { headers: { accept: "application/vnd.procwise.v3" } }, unconfigured);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: "The partner API is not configured" });
    expect((await app.request("/backend/trustid_version", {}, unconfigured)).status).toBe(200);
  });

  it("answers unknown paths under /api/v3 in the partner shape", async () => {
    const res = await signedCall(partner, "GET", "/nothing-here"); // no route has this path: untyped
    expect(res).toMatchObject({ status: 404, body: { error: "Not found" } });
  });

  it("refuses unsupported media types and nested JSON values", async () => {
    const { SELF } = await import("cloudflare:test");
    const res = await SELF.fetch("http://trustid.test/api/v3/exams", {
      method: "POST",
      headers: { "content-type": "text/plain", accept: "application/vnd.procwise.v3" },
      body: "hello",
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toHaveProperty("error");
    // A compressed body (or one labelled so) names the coding, as /backend does.
    const gzip = await SELF.fetch("http://trustid.test/api/v3/exams", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip", accept: "application/vnd.procwise.v3" },
      body: JSON.stringify({ name: "x" }),
    });
    expect(gzip.status).toBe(415);
    expect(await gzip.json()).toEqual({ error: 'Content-Encoding "gzip" is not accepted; send the request body uncompressed' });
    const nested = await partnerApi(examsCreate, { credentials: partner, json: { name: "x" }, afterSigning: (p) => void ((p as any).meta = { a: 1 }) });
    expect(nested.status).toBe(422);
  });

  it("takes a 20,000-character individual_info of 3-byte characters in a form body (9 bytes each percent-encoded)", async () => {
    // A probe's PHP-style client (http_build_query) got a 413 for the documented maximum: the limit counted 6 bytes a character.
    const info = "\u6f22".repeat(20_000);
    const res = await signedCall(partner, "POST", "/exams/:exam_id/student_sessions", {
      path: { exam_id: examId },
      params: { email: `form-${crypto.randomUUID()}@example.org`, individual_info: info },
      via: "form",
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 200)).toBe(201);
    expect(res.body.student.individual_info).toBe(info);
  });

  it("takes a path id repeated in the body with the same value as a JSON number, and refuses another value", async () => {
    const email = `dup-${crypto.randomUUID()}@example.org`;
    const same = await signedCall(partner, "POST", "/exams/:exam_id/student_sessions", { path: { exam_id: examId }, params: { email, exam_id: examId } });
    expect(same.status, JSON.stringify(same.body)).toBe(201);
    const put = await signedCall(partner, "PUT", "/exams/:id", { path: { id: examId }, params: { id: examId, duration: 30 } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const other = await signedCall(partner, "POST", "/exams/:exam_id/student_sessions", { path: { exam_id: examId }, params: { email: `o-${email}`, exam_id: examId + 1 } });
    expect(other).toMatchObject({ status: 422, body: { error: "Param given more than once with different values: 'exam_id'" } });
  });

  it("signs a JSON null empty (as Ruby) or as null (as JavaScript's String(null))", async () => {
    const created = await signedCall(partner, "POST", "/exams/:exam_id/student_sessions", {
      path: { exam_id: examId },
      params: { email: `null-${crypto.randomUUID()}@example.org`, open_time: 1893456000 },
    });
    const id = created.body.student.id as number;
    for (const signedAs of ["", "null"]) {
      const res = await signedCall(partner, "PUT", "/exams/:exam_id/student_sessions/:id", {
        path: { exam_id: examId, id },
        params: { open_time: null },
        signOnly: (p) => ({ ...p, open_time: signedAs }),
      });
      expect(res.status, `signed open_time=${signedAs}`).toBe(200);
      expect(res.body.student.open_time).toBeNull();
    }
    const wrong = await signedCall(partner, "PUT", "/exams/:exam_id/student_sessions/:id", {
      path: { exam_id: examId, id },
      params: { open_time: null },
      signOnly: (p) => ({ ...p, open_time: "None" }),
    });
    expect(wrong.status).toBe(403);
  });

  it("refuses a body over its limit (192 KiB) counted as it is read, also when streamed without Content-Length", async () => {
    const { SELF } = await import("cloudflare:test");
    const json = JSON.stringify({ name: "x".repeat(193 * 1024) });
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(json);
        for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192));
        controller.close();
      },
    });
    for (const body of [json, streamed]) {
      const res = await SELF.fetch("http://trustid.test/api/v3/exams", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/vnd.procwise.v3" },
        body,
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: "Request body too large" });
    }
  });
});
