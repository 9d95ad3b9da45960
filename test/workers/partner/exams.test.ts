// /api/v3/exams: index (status filter, pagination), show, create, update, destroy.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { exams } from "../../../src/db/schema";
import { ExamObject } from "../../../src/routes/partner/common";
import type { Params } from "../../../src/services/partner/signature";
import { db, newPartner, type Partner, partnerCall } from "./helpers";

let partner: Partner;

beforeAll(async () => {
  partner = await newPartner();
});

const create = (params: Record<string, string | number | boolean>, who = partner) => partnerCall(who, "POST", "/exams", { params });

describe("exams", () => {
  it("creates, shows, updates and deletes an exam; the exam is a TRUSTID exam", async () => {
    const created = await create({ name: "Algebra", duration: 90, start_time: 1893456000, end_time: 1893463200, type: "classic", exam_type: "Oral" });
    expect(created.status).toBe(201);
    const exam = created.body.exam;
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

    const shown = await partnerCall(partner, "GET", "/exams/:id", { path: { id: exam.id } });
    expect(shown).toMatchObject({ status: 200, body: { exam: { id: exam.id, name: "Algebra" } } });

    const updated = await partnerCall(partner, "PUT", "/exams/:id", { path: { id: exam.id }, params: { name: "Algebra II", status: "draft" } });
    expect(updated).toMatchObject({ status: 200, body: { exam: { name: "Algebra II", status: "draft" } } });
    const patched = await partnerCall(partner, "PATCH", "/exams/:id", { path: { id: exam.id }, via: "form", params: { duration: 30 } });
    expect(patched).toMatchObject({ status: 200, body: { exam: { name: "Algebra II", duration: 30 } } });

    const deleted = await partnerCall(partner, "DELETE", "/exams/:id", { path: { id: exam.id } });
    expect(deleted).toMatchObject({ status: 200, body: { exam: { id: exam.id } } });
    const gone = await partnerCall(partner, "GET", "/exams/:id", { path: { id: exam.id } });
    expect(gone).toMatchObject({ status: 404, body: { error: `Couldn't find Exam with 'id'=${exam.id}` } });
  });

  it("closing an exam completes it in TRUSTID; a completed TRUSTID exam shows closed and cannot reopen", async () => {
    const { body } = await create({ name: "To close" });
    const closed = await partnerCall(partner, "PATCH", "/exams/:id", { path: { id: body.exam.id }, params: { status: "closed" } });
    expect(closed.body.exam.status).toBe("closed");
    const [row] = await db().select().from(exams).where(eq(exams.id, body.exam.id));
    expect(row?.status).toBe("Completed");
    expect(row?.completedAt).toBeTypeOf("number");
    const reopen = await partnerCall(partner, "PATCH", "/exams/:id", { path: { id: body.exam.id }, params: { status: "open" } });
    expect(reopen).toMatchObject({ status: 422, body: { status: ["can not reopen a closed exam"] } });

    const other = await create({ name: "Started in TRUSTID" });
    await db().update(exams).set({ status: "Started", startedAt: Date.now() }).where(eq(exams.id, other.body.exam.id));
    const shown = await partnerCall(partner, "GET", "/exams/:id", { path: { id: other.body.exam.id } });
    expect(shown.body.exam).toMatchObject({ status: "open" });
    const del = await partnerCall(partner, "DELETE", "/exams/:id", { path: { id: other.body.exam.id } });
    expect(del).toMatchObject({ status: 422, body: { status: ["can not delete an exam in progress"] } });
  });

  it("answers the documented 422 for a missing name and for invalid values", async () => {
    expect(await create({ duration: 10 })).toMatchObject({ status: 422, body: { error: "Param is missing or the value is empty: 'name'" } });
    expect(await create({ name: "  " })).toMatchObject({ status: 422, body: { error: "Param is missing or the value is empty: 'name'" } });
    const bad = await create({ name: "x", start_time: "soon" });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/^Invalid parameter 'start_time'/);
    expect((await create({ name: "x", status: "archived" })).status).toBe(422);
    expect((await create({ name: "x", start_time: 2000, end_time: 1000 })).body).toEqual({ end_time: ["must be after start_time"] });
    expect((await create({ name: "x", instructor_email: "nobody@example.org" })).body).toEqual({
      instructor_email: ["is not an instructor of this institution"],
    });
  });

  // Found by the fuzz tests: a name of only "\u0000" was accepted and stored as "" (SQLite text reads
  // back cut at a NUL). Any parameter with a NUL is refused before anything is read or stored.
  it("refuses a NUL character in a parameter with the documented 422, and creates nothing", async () => {
    const before = await partnerCall(partner, "GET", "/exams", { params: { limit: 300 } });
    for (const name of ["\u0000", "Algebra\u0000II"]) {
      const res = await create({ name });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: expect.stringMatching(/'name'.*NUL/) });
    }
    const after = await partnerCall(partner, "GET", "/exams", { params: { limit: 300 } });
    expect(after.headers.get("x-pagination-item-count")).toBe(before.headers.get("x-pagination-item-count"));
  });

  // Found by the fuzz tests: the 422 quoted the whole bad value (a 60 KB string came back whole).
  it("quotes a long bad value cut short in the 422", async () => {
    const res = await create({ name: "x", duration: "9".repeat(60_000) });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/^Invalid parameter 'duration' value "9{60}\.\.\.": /);
  });

  it("answers 404 for unknown, malformed and other institutions' exam ids", async () => {
    const other = await newPartner();
    const theirs = await create({ name: "Theirs" }, other);
    for (const id of [String(theirs.body.exam.id), "999999999", "abc"]) {
      const res = await partnerCall(partner, "GET", "/exams/:id", { path: { id } });
      expect(res, id).toMatchObject({ status: 404, body: { error: `Couldn't find Exam with 'id'=${id}` } });
    }
    for (const method of ["PUT", "DELETE"]) {
      const res = await partnerCall(partner, method, "/exams/:id", { path: { id: theirs.body.exam.id }, params: { name: "mine now" } });
      expect(res.status, method).toBe(404);
    }
    expect((await partnerCall(other, "GET", "/exams/:id", { path: { id: theirs.body.exam.id } })).body.exam.name).toBe("Theirs");
  });

  it("lists exams by status with X-Pagination headers (default and maximum limit 300)", async () => {
    const p = await newPartner();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ name: `E${i}`, status: i < 2 ? "draft" : "open" }, p)).body.exam.id);
    await partnerCall(p, "PATCH", "/exams/:id", { path: { id: ids[4]! }, params: { status: "closed" } });

    const all = await partnerCall(p, "GET", "/exams");
    expect(all.status).toBe(200);
    expect(all.body.exams.map((e: any) => e.id)).toEqual(ids);
    expect(Object.fromEntries(["item-count", "page-count", "page", "limit"].map((h) => [h, all.headers.get(`x-pagination-${h}`)]))).toEqual({
      "item-count": "5",
      "page-count": "1",
      page: "1",
      limit: "300",
    });

    const drafts = await partnerCall(p, "GET", "/exams", { params: { status: "draft" } });
    expect(drafts.body.exams.map((e: any) => e.id)).toEqual(ids.slice(0, 2));
    expect((await partnerCall(p, "GET", "/exams", { params: { status: "open" } })).body.exams.map((e: any) => e.id)).toEqual(ids.slice(2, 4));
    expect((await partnerCall(p, "GET", "/exams", { params: { status: "closed" } })).body.exams.map((e: any) => e.id)).toEqual([ids[4]]);
    expect((await partnerCall(p, "GET", "/exams", { params: { status: "gone" } })).status).toBe(422);

    const page2 = await partnerCall(p, "GET", "/exams", { params: { page: 2, limit: 2 } });
    expect(page2.body.exams.map((e: any) => e.id)).toEqual(ids.slice(2, 4));
    expect(page2.headers.get("x-pagination-page-count")).toBe("3");
    expect(page2.headers.get("x-pagination-page")).toBe("2");
    expect(page2.headers.get("x-pagination-limit")).toBe("2");
    const last = await partnerCall(p, "GET", "/exams", { params: { page: 3, limit: 2 } });
    expect(last.body.exams.map((e: any) => e.id)).toEqual([ids[4]]);
    const beyond = await partnerCall(p, "GET", "/exams", { params: { page: 4, limit: 2 } });
    expect(beyond.body.exams).toEqual([]);
    expect(beyond.headers.get("x-pagination-item-count")).toBe("5");

    const capped = await partnerCall(p, "GET", "/exams", { params: { limit: 1000 } });
    expect(capped.headers.get("x-pagination-limit")).toBe("300");
    for (const bad of [{ page: 0 }, { limit: 0 }, { page: "x" }, { limit: -1 }] as Params[]) {
      expect((await partnerCall(p, "GET", "/exams", { params: bad })).status, JSON.stringify(bad)).toBe(422);
    }
    const empty = await partnerCall(await newPartner(), "GET", "/exams");
    expect(empty.body.exams).toEqual([]);
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
