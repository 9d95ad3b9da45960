// Database round trips per request (issue 14, "edge distance"; BENCHMARKS.md): each one costs a far
// student or partner two crossings to the primary, so the counts are part of the contract. Counted by
// wrapping the isolate's fetch (the libSQL client speaks HTTP: one fetch to DATABASE_URL per round trip)
// while one request at a time runs; the Worker under test shares this isolate.
import { inject } from "vitest";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers";
import { startedExamWithStudent } from "../exams/support";
import { newPartner, nonce, type Partner, partnerCall } from "../partner/helpers";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** How many database round trips `work` made. */
async function roundTrips(work: () => Promise<{ status: number }>, expectedStatus = 200): Promise<number> {
  const database = inject("databaseUrl");
  let trips = 0;
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(database)) trips++;
    return realFetch(input, init);
  };
  try {
    const res = await work();
    expect(res.status).toBe(expectedStatus);
  } finally {
    globalThis.fetch = realFetch;
  }
  return trips;
}

let world: Awaited<ReturnType<typeof startedExamWithStudent>>;
let partner: Partner;
let partnerExamId: number;
let sessionId: number;

beforeAll(async () => {
  world = await startedExamWithStudent("UCY", { forbidden_processes: ["anydesk*"] });
  partner = await newPartner();
  const exam = await partnerCall(partner, "POST", "/exams", { params: { name: "Round trips" } });
  partnerExamId = exam.body.exam.id;
  const session = await partnerCall(partner, "POST", "/exams/:exam_id/student_sessions", { path: { exam_id: partnerExamId }, params: { email: "trips@example.org" } });
  expect(session.status).toBe(201);
  sessionId = session.body.student.id;
});

describe("database round trips per request", () => {
  it("instructor/list_exam: 1", async () => {
    expect(await roundTrips(() => call("/instructor/list_exam", { token: world.teacher.access }))).toBe(1);
  });

  it("monitoring/ (device report with processes): 2, the reads and the store", async () => {
    const report = { exam_id: world.examId, running_processes: ["chrome.exe", "anydesk.exe"], is_face_detected: true, face_rec_result: "match" };
    expect(await roundTrips(() => call("/monitoring/", { token: world.student.access, json: report }))).toBe(2);
  });

  it("biometrics/wallet/status with no push work due: 1", async () => {
    expect(await roundTrips(() => call("/biometrics/wallet/status", { token: world.student.access }))).toBe(1);
  });

  it("partner exams index and show, sessions index and show, index_students, show_student: 1 (credentials cached by the isolate, nonce in the read batch)", async () => {
    const show = () => partnerCall(partner, "GET", "/exams/:id", { path: { id: partnerExamId } });
    await show(); // this isolate reads and caches the credentials (2 round trips the first time)
    expect(await roundTrips(show)).toBe(1);
    const index = () => partnerCall(partner, "GET", "/exams/:exam_id/student_sessions", { path: { exam_id: partnerExamId } });
    expect(await roundTrips(index)).toBe(1);
    expect(await roundTrips(() => partnerCall(partner, "GET", "/exams", { params: { status: "open" } }))).toBe(1);
    const sessionShow = () => partnerCall(partner, "GET", "/exams/:exam_id/student_sessions/:id", { path: { exam_id: partnerExamId, id: sessionId } });
    expect(await roundTrips(sessionShow)).toBe(1);
    const students = () => partnerCall(partner, "GET", "/exams/:id/index_students", { path: { id: partnerExamId } });
    expect(await roundTrips(students)).toBe(1);
    const student = () => partnerCall(partner, "GET", "/exams/:id/show_student", { path: { id: partnerExamId }, params: { student_session_id: String(sessionId) } });
    expect(await roundTrips(student)).toBe(1);
    // A replay is refused from that same round trip.
    const n = nonce();
    expect(await roundTrips(() => partnerCall(partner, "GET", "/exams/:id", { path: { id: partnerExamId }, nonce: n }))).toBe(1);
    expect(await roundTrips(() => partnerCall(partner, "GET", "/exams/:id", { path: { id: partnerExamId }, nonce: n }), 403)).toBe(1);
  });

  it("partner exams create, update and destroy, sessions update and destroy: 2 (the nonce with the first read)", async () => {
    await partnerCall(partner, "GET", "/exams"); // credentials cached (and the API account made by beforeAll)
    let examId = 0;
    const later = Math.floor(Date.now() / 1000) + 3600;
    const create = async () => {
      const res = await partnerCall(partner, "POST", "/exams", { params: { name: "Two trips", start_time: later } });
      examId = res.body.exam.id;
      return res;
    };
    expect(await roundTrips(create, 201)).toBe(2);
    expect(await roundTrips(() => partnerCall(partner, "PUT", "/exams/:id", { path: { id: examId }, params: { name: "Renamed" } }))).toBe(2);
    const added = await partnerCall(partner, "POST", "/exams/:exam_id/student_sessions", { path: { exam_id: examId }, params: { email: "two-trips@example.org" } });
    const path = { exam_id: examId, id: added.body.student.id };
    expect(await roundTrips(() => partnerCall(partner, "PUT", "/exams/:exam_id/student_sessions/:id", { path, params: { name: "Renamed" } }))).toBe(2);
    expect(await roundTrips(() => partnerCall(partner, "DELETE", "/exams/:exam_id/student_sessions/:id", { path }))).toBe(2);
    expect(await roundTrips(() => partnerCall(partner, "DELETE", "/exams/:id", { path: { id: examId } }))).toBe(2);
  });
});
