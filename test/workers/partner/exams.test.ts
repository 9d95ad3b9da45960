// /api/v3/exams: index (status filter, pagination), show, create, update, destroy.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { exams, users } from "../../../src/db/schema";
import { route as registerRoute } from "../../../src/routes/auth/register-user";
import { ExamObject } from "../../../src/routes/partner/common";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsDestroy } from "../../../src/routes/partner/exams-destroy";
import { route as examsIndex } from "../../../src/routes/partner/exams-index";
import { route as examsShow } from "../../../src/routes/partner/exams-show";
import { routeFor as examsUpdate } from "../../../src/routes/partner/exams-update";
import { api, bodyAt } from "../api";
import { isEmail } from "../../../src/lib/email";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { newSession } from "../helpers";
import { partnerApi, type PartnerParams } from "./api";
import { db, newPartner, type Partner } from "./helpers";

let partner: Partner;

beforeAll(async () => {
  partner = await newPartner();
});

const create = (json: PartnerParams<typeof examsCreate>, who = partner) => partnerApi(examsCreate, { credentials: who, json });
/** Parameters the API must refuse. */
const createUnchecked = (unchecked: Record<string, unknown>) => partnerApi(examsCreate, { credentials: partner, unchecked });

describe("exams", () => {
  it("creates, shows, updates and deletes an exam; the exam is a TRUSTID exam", async () => {
    const created = await create({ name: "Algebra", duration: 90, start_time: 1893456000, end_time: 1893463200, type: "classic", exam_type: "Oral" });
    expect(created.status).toBe(201);
    const exam = bodyAt(created, 201).exam;
    expect(exam).toMatchObject({
      name: "Algebra",
      status: "open",
      type: "classic",
      exam_type: "Oral",
      duration: 90,
      start_time: "2030-01-01T00:00:00.000Z",
      end_time: "2030-01-01T02:00:00.000Z",
    });
    expect(() => ExamObject.strict().parse(exam)).not.toThrow();
    const [row] = await db().select().from(exams).where(eq(exams.id, exam.id));
    expect(row).toMatchObject({ institutionId: partner.institutionId, name: "Algebra", examType: "Oral", durationMinutes: 90, status: "Upcoming" });

    const shown = await partnerApi(examsShow, { credentials: partner, params: { id: exam.id } });
    expect(shown).toMatchObject({ status: 200, body: { exam: { id: exam.id, name: "Algebra" } } });

    const updated = await partnerApi(examsUpdate("put"), { credentials: partner, params: { id: exam.id }, json: { name: "Algebra II", status: "draft" } });
    expect(updated).toMatchObject({ status: 200, body: { exam: { name: "Algebra II", status: "draft" } } });
    const patched = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id: exam.id }, form: { duration: 30 } });
    expect(patched).toMatchObject({ status: 200, body: { exam: { name: "Algebra II", duration: 30 } } });

    const deleted = await partnerApi(examsDestroy, { credentials: partner, params: { id: exam.id } });
    expect(deleted).toMatchObject({ status: 200, body: { exam: { id: exam.id } } });
    const gone = await partnerApi(examsShow, { credentials: partner, params: { id: exam.id } });
    expect(gone).toMatchObject({ status: 404, body: { error: `Couldn't find Exam with 'id'=${exam.id}` } });
  });

  it("closing an exam completes it in TRUSTID; a completed TRUSTID exam shows closed and cannot reopen", async () => {
    const id = bodyAt(await create({ name: "To close" }), 201).exam.id;
    const closed = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id }, json: { status: "closed", end_time: Math.floor(Date.now() / 1000) + 86_400 } });
    expect(bodyAt(closed, 200).exam.status).toBe("closed");
    // Closing a running exam ends it now, whatever end_time came with it (a probe's stayed a day later).
    expect(Date.parse(bodyAt(closed, 200).exam.end_time!)).toBeLessThanOrEqual(Date.now());
    const [row] = await db().select().from(exams).where(eq(exams.id, id));
    expect(row?.status).toBe("Completed");
    expect(row?.completedAt).toBeTypeOf("number");
    const reopen = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id }, json: { status: "open" } });
    expect(reopen).toMatchObject({ status: 422, body: { status: ["can not reopen a closed exam"] } });
    // Its record is final (a probe moved a closed exam's window past its end); its instructor may still change.
    for (const [json, field] of [[{ start_time: Math.floor(Date.now() / 1000) + 86_400 }, "start_time"], [{ name: "rewritten" }, "name"], [{ duration: 600 }, "duration"]] as const) {
      const res = await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id }, json });
      expect(res).toMatchObject({ status: 422, body: { [field]: ["can not be changed on a closed exam"] } });
    }
    expect((await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id }, json: { name: "To close" } })).status).toBe(200); // unchanged
    const teacher = await newSession("INSTRUCTOR", partner.code);
    expect((await partnerApi(examsUpdate("patch"), { credentials: partner, params: { id }, json: { instructor_email: teacher.user.email } })).status).toBe(200);

    const other = bodyAt(await create({ name: "Started in TRUSTID" }), 201).exam.id;
    await db().update(exams).set({ status: "Started", startedAt: Date.now() }).where(eq(exams.id, other));
    const shown = await partnerApi(examsShow, { credentials: partner, params: { id: other } });
    expect(bodyAt(shown, 200).exam).toMatchObject({ status: "open" });
    const del = await partnerApi(examsDestroy, { credentials: partner, params: { id: other } });
    expect(del).toMatchObject({ status: 422, body: { status: ["can not delete an exam in progress"] } });
  });

  it("the institution's API account cannot be taken: register_user refuses its address, and an account with a password holding it is never used", async () => {
    const mine = await newPartner();
    const address = `partner-api+${mine.institutionId}@trustid.invalid`;
    const squat = await api(registerRoute, { json: { email: address, name: "A", surname: "B", organization: mine.code, password: "a long password", role: "INSTRUCTOR" } });
    expect(bodyAt(squat, 400).bad_formatted_fields).toEqual(["email"]);
    // Nor can it enter as a student, by a partner session or an instructor's sync (a probe's Moodle sync created it).
    const examIdOfMine = bodyAt(await partnerApi(examsCreate, { credentials: mine, json: { name: "Mine", instructor_email: (await newSession("INSTRUCTOR", mine.code)).user.email } }), 201).exam.id;
    expect((await partnerApi(sessionsCreate, { credentials: mine, params: { exam_id: examIdOfMine }, json: { email: address } })).status).toBe(422);
    expect(isEmail(address)).toBe(false);
    expect(isEmail("someone@trustid.invalid.example.org")).toBe(true);
    // One registered before the refusal existed (written here as it would have been).
    await db().insert(users).values({ institutionId: mine.institutionId, email: address, name: "A", surname: "B", role: "INSTRUCTOR", passwordHash: "x", createdAt: 1, updatedAt: 1 });
    const created = await partnerApi(examsCreate, { credentials: mine, json: { name: "Nobody's" } });
    expect(created).toMatchObject({ status: 422, body: { instructor_email: [expect.stringMatching(/^is required/)] } });
  });

  it("answers the documented 422 for a missing name and for invalid values", async () => {
    expect(await createUnchecked({ duration: 10 })).toMatchObject({ status: 422, body: { error: "Param is missing or the value is empty: 'name'" } });
    expect(await create({ name: "  " })).toMatchObject({ status: 422, body: { error: "Param is missing or the value is empty: 'name'" } });
    const bad = await createUnchecked({ name: "x", start_time: "soon" });
    expect(bodyAt(bad, 422).error).toMatch(/^Invalid parameter 'start_time'/);
    expect((await createUnchecked({ name: "x", status: "archived" })).status).toBe(422);
    expect((await create({ name: "x", start_time: 2000, end_time: 1000 })).body).toEqual({ end_time: ["must be after start_time"] });
    expect((await create({ name: "x", start_time: 2000, end_time: 2000 })).body).toEqual({ end_time: ["must be after start_time"] });
    // A window already over would make an exam born closed (a probe's start_time of 1 did).
    const now = Math.floor(Date.now() / 1000);
    expect((await create({ name: "x", start_time: 1 })).body).toEqual({ start_time: ["puts the exam's end in the past; an exam can not be closed on creation"] });
    expect((await create({ name: "x", start_time: now - 7200, end_time: now - 60 })).body).toEqual({
      end_time: ["puts the exam's end in the past; an exam can not be closed on creation"],
    });
    // A window that has begun but not ended is an exam running now.
    expect((await create({ name: "x", start_time: now - 600, duration: 60 })).status).toBe(201);
    expect((await create({ name: "x", instructor_email: "nobody@example.org" })).body).toEqual({
      instructor_email: ["is not an instructor of this institution"],
    });
  });

  // Found by the fuzz tests: a name of only "\u0000" was accepted and stored as "" (SQLite text reads
  // back cut at a NUL). Any parameter with a NUL is refused before anything is read or stored.
  it("refuses a NUL character in a parameter with the documented 422, and creates nothing", async () => {
    const before = await partnerApi(examsIndex, { credentials: partner, query: { limit: 300 } });
    for (const name of ["\u0000", "Algebra\u0000II"]) {
      const res = await create({ name });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: expect.stringMatching(/'name'.*NUL/) });
    }
    const after = await partnerApi(examsIndex, { credentials: partner, query: { limit: 300 } });
    expect(after.headers.get("x-pagination-item-count")).toBe(before.headers.get("x-pagination-item-count"));
  });

  // Found by a black-box probe: a lone surrogate escape ("\ud800") was stored as U+FFFD.
  it("refuses half of a surrogate pair in a parameter with the documented 422", async () => {
    const res = await create({ name: "Algebra \ud800" });
    expect(bodyAt(res, 422).error).toMatch(/'name'.*surrogate/);
  });

  // Found by the fuzz tests: the 422 quoted the whole bad value (a 60 KB string came back whole).
  it("quotes a long bad value cut short in the 422", async () => {
    const res = await createUnchecked({ name: "x", duration: "9".repeat(60_000) });
    expect(bodyAt(res, 422).error).toMatch(/^Invalid parameter 'duration' value "9{60}\.\.\.": /);
  });

  it("answers 404 for unknown, malformed and other institutions' exam ids", async () => {
    const other = await newPartner();
    const theirs = bodyAt(await create({ name: "Theirs" }, other), 201).exam.id;
    for (const id of [String(theirs), "999999999", "abc"]) {
      const res = await partnerApi(examsShow, { credentials: partner, params: { id } });
      expect(res, id).toMatchObject({ status: 404, body: { error: `Couldn't find Exam with 'id'=${id}` } });
    }
    for (const route of [examsUpdate("put"), examsDestroy]) {
      const res = await partnerApi(route, { credentials: partner, params: { id: theirs }, unchecked: { name: "mine now" } });
      expect(res.status, route.method).toBe(404);
    }
    expect(bodyAt(await partnerApi(examsShow, { credentials: other, params: { id: theirs } }), 200).exam.name).toBe("Theirs");
  });

  it("lists exams by status with X-Pagination headers (default and maximum limit 300)", async () => {
    const p = await newPartner();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(bodyAt(await create({ name: `E${i}`, status: i < 2 ? "draft" : "open" }, p), 201).exam.id);
    await partnerApi(examsUpdate("patch"), { credentials: p, params: { id: ids[4]! }, json: { status: "closed" } });
    const list = (query: PartnerParams<typeof examsIndex> = {}, who = p) => partnerApi(examsIndex, { credentials: who, query });
    const idsOf = async (query: PartnerParams<typeof examsIndex>) => bodyAt(await list(query), 200).exams.map((e) => e.id);

    const all = await list();
    expect(all.status).toBe(200);
    expect(bodyAt(all, 200).exams.map((e) => e.id)).toEqual(ids);
    expect(Object.fromEntries(["item-count", "page-count", "page", "limit"].map((h) => [h, all.headers.get(`x-pagination-${h}`)]))).toEqual({
      "item-count": "5",
      "page-count": "1",
      page: "1",
      limit: "300",
    });

    expect(await idsOf({ status: "draft" })).toEqual(ids.slice(0, 2));
    expect(await idsOf({ status: "open" })).toEqual(ids.slice(2, 4));
    expect(await idsOf({ status: "closed" })).toEqual([ids[4]]);
    expect((await partnerApi(examsIndex, { credentials: p, unchecked: { status: "gone" } })).status).toBe(422);

    const page2 = await list({ page: 2, limit: 2 });
    expect(bodyAt(page2, 200).exams.map((e) => e.id)).toEqual(ids.slice(2, 4));
    expect(page2.headers.get("x-pagination-page-count")).toBe("3");
    expect(page2.headers.get("x-pagination-page")).toBe("2");
    expect(page2.headers.get("x-pagination-limit")).toBe("2");
    expect(await idsOf({ page: 3, limit: 2 })).toEqual([ids[4]]);
    // Any larger limit is capped, however large (a 20-digit one was a 422).
    const huge = await partnerApi(examsIndex, { credentials: p, unchecked: { limit: "99999999999999999999" } });
    expect(huge.headers.get("x-pagination-limit")).toBe("300");
    const beyond = await list({ page: 4, limit: 2 });
    expect(bodyAt(beyond, 200).exams).toEqual([]);
    expect(beyond.headers.get("x-pagination-item-count")).toBe("5");

    const capped = await list({ limit: 1000 });
    expect(capped.headers.get("x-pagination-limit")).toBe("300");
    for (const bad of [{ page: 0 }, { limit: 0 }, { page: "x" }, { limit: -1 }]) {
      expect((await partnerApi(examsIndex, { credentials: p, unchecked: bad })).status, JSON.stringify(bad)).toBe(422);
    }
    const empty = await list({}, await newPartner());
    expect(bodyAt(empty, 200).exams).toEqual([]);
    expect(empty.headers.get("x-pagination-item-count")).toBe("0");
    expect(empty.headers.get("x-pagination-page-count")).toBe("1");
  });
});

describe("OpenAPI document", () => {
  it("lists the partner endpoints with their security scheme", async () => {
    const { SELF } = await import("cloudflare:test");
    const doc: any = await (await SELF.fetch("http://trustid.test/backend/openapi.json")).json();
    for (const path of ["/api/v3/exams", "/api/v3/exams/{id}", "/api/v3/exams/{exam_id}/student_sessions/{id}", "/api/v3/exams/{id}/add_student"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths["/api/v3/exams/{id}"].put).toBeDefined();
    expect(doc.paths["/api/v3/exams/{id}"].patch).toBeDefined();
    expect(doc.components.securitySchemes.PartnerToken).toMatchObject({ type: "apiKey", in: "header", name: "Authorization" });
  });
});
