// Database round trips per request (issue 14, "edge distance"; BENCHMARKS.md): each one costs a far
// student or partner two crossings to the primary, so the counts are part of the contract. Counted by
// wrapping the isolate's fetch (the libSQL client speaks HTTP: one fetch to DATABASE_URL per round trip)
// while one request at a time runs; the Worker under test shares this isolate.
import { inject } from "vitest";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { route as walletStatus } from "../../../src/routes/biometrics/wallet-status";
import { route as listExam } from "../../../src/routes/instructor/list-exam";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { route as addStudent } from "../../../src/routes/partner/add-student";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { route as examsDestroy } from "../../../src/routes/partner/exams-destroy";
import { route as examsIndex } from "../../../src/routes/partner/exams-index";
import { route as examsShow } from "../../../src/routes/partner/exams-show";
import { routeFor as examsUpdate } from "../../../src/routes/partner/exams-update";
import { route as indexStudents } from "../../../src/routes/partner/index-students";
import { route as sessionsCreate } from "../../../src/routes/partner/sessions-create";
import { route as sessionsDestroy } from "../../../src/routes/partner/sessions-destroy";
import { route as sessionsIndex } from "../../../src/routes/partner/sessions-index";
import { route as sessionsShow } from "../../../src/routes/partner/sessions-show";
import { routeFor as sessionsUpdate } from "../../../src/routes/partner/sessions-update";
import { route as showStudent } from "../../../src/routes/partner/show-student";
import { api, bodyAt } from "../api";
import { startedExamWithStudent } from "../exams/support";
import { partnerApi } from "../partner/api";
import { newPartner, nonce, type Partner } from "../partner/helpers";

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
  const exam = await partnerApi(examsCreate, { credentials: partner, json: { name: "Round trips" } });
  partnerExamId = bodyAt(exam, 201).exam.id;
  const session = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: partnerExamId }, json: { email: "trips@example.org" } });
  expect(session.status).toBe(201);
  sessionId = bodyAt(session, 201).student.id;
});

describe("database round trips per request", () => {
  it("instructor/list_exam: 1", async () => {
    expect(await roundTrips(() => api(listExam, { token: world.teacher.access }))).toBe(1);
  });

  it("monitoring/ (device report with processes): 2, the reads and the store", async () => {
    const report = { exam_id: world.examId, running_processes: ["chrome.exe", "anydesk.exe"], is_face_detected: true, face_rec_result: "match" };
    expect(await roundTrips(() => api(monitoringRoute, { token: world.student.access, json: report }))).toBe(2);
  });

  it("biometrics/wallet/status with no push work due: 1", async () => {
    expect(await roundTrips(() => api(walletStatus, { token: world.student.access }))).toBe(1);
  });

  it("partner exams index and show, sessions index and show, index_students, show_student: 1 (credentials cached by the isolate, nonce in the read batch)", async () => {
    const show = () => partnerApi(examsShow, { credentials: partner, params: { id: partnerExamId } });
    await show(); // this isolate reads and caches the credentials (2 round trips the first time)
    expect(await roundTrips(show)).toBe(1);
    const index = () => partnerApi(sessionsIndex, { credentials: partner, params: { exam_id: partnerExamId } });
    expect(await roundTrips(index)).toBe(1);
    expect(await roundTrips(() => partnerApi(examsIndex, { credentials: partner, query: { status: "open" } }))).toBe(1);
    const sessionShow = () => partnerApi(sessionsShow, { credentials: partner, params: { exam_id: partnerExamId, id: sessionId } });
    expect(await roundTrips(sessionShow)).toBe(1);
    const students = () => partnerApi(indexStudents, { credentials: partner, params: { id: partnerExamId } });
    expect(await roundTrips(students)).toBe(1);
    const student = () => partnerApi(showStudent, { credentials: partner, params: { id: partnerExamId }, query: { student_session_id: sessionId } });
    expect(await roundTrips(student)).toBe(1);
    // A replay is refused from that same round trip.
    const n = nonce();
    expect(await roundTrips(() => partnerApi(examsShow, { credentials: partner, params: { id: partnerExamId }, nonce: n }))).toBe(1);
    expect(await roundTrips(() => partnerApi(examsShow, { credentials: partner, params: { id: partnerExamId }, nonce: n }), 403)).toBe(1);
  });

  it("partner exams create, update and destroy, sessions update and destroy: 2 (the nonce with the first read)", async () => {
    await partnerApi(examsIndex, { credentials: partner }); // credentials cached (and the API account made by beforeAll)
    let examId = 0;
    const later = Math.floor(Date.now() / 1000) + 3600;
    const create = async () => {
      const res = await partnerApi(examsCreate, { credentials: partner, json: { name: "Two trips", start_time: later } });
      examId = bodyAt(res, 201).exam.id;
      return res;
    };
    expect(await roundTrips(create, 201)).toBe(2);
    expect(await roundTrips(() => partnerApi(examsUpdate("put"), { credentials: partner, params: { id: examId }, json: { name: "Renamed" } }))).toBe(2);
    const added = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: examId }, json: { email: "two-trips@example.org" } });
    const params = { exam_id: examId, id: bodyAt(added, 201).student.id };
    expect(await roundTrips(() => partnerApi(sessionsUpdate("put"), { credentials: partner, params, json: { name: "Renamed" } }))).toBe(2);
    expect(await roundTrips(() => partnerApi(sessionsDestroy, { credentials: partner, params }))).toBe(2);
    expect(await roundTrips(() => partnerApi(examsDestroy, { credentials: partner, params: { id: examId } }))).toBe(2);
  });

  it("partner session create and add_student for a new (invited) student: 2 (the nonce with the exam; the student, the session, its invitation and the read-back)", async () => {
    await partnerApi(examsIndex, { credentials: partner }); // credentials cached
    const create = () => partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: partnerExamId }, json: { email: `two-trips-${nonce()}@example.org` } });
    let created!: Awaited<ReturnType<typeof create>>;
    expect(await roundTrips(async () => (created = await create()), 201)).toBe(2);
    expect(bodyAt(created, 201).student.token).toMatch(/^[0-9a-f]{48}$/); // invited: the token issued in those 2
    const add = () => partnerApi(addStudent, { credentials: partner, params: { id: partnerExamId }, json: { email: `two-trips-${nonce()}@example.org` } });
    expect(await roundTrips(add, 201)).toBe(2);
    // Refused as taken: the same 2, nothing written.
    const again = () => partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: partnerExamId }, json: { email: bodyAt(created, 201).student.email } });
    expect(await roundTrips(again, 422)).toBe(2);
  });

  it("partner session moved to a new (invited) student's email: 2 (the nonce with the session; the student, the update, its invitation and the read-back); refused as taken: 2", async () => {
    await partnerApi(examsIndex, { credentials: partner }); // credentials cached
    const created = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: partnerExamId }, json: { email: `before-move-${nonce()}@example.org` } });
    const params = { exam_id: partnerExamId, id: bodyAt(created, 201).student.id };
    const move = () => partnerApi(sessionsUpdate("put"), { credentials: partner, params, json: { email: `moved-${nonce()}@example.org` } });
    let moved!: Awaited<ReturnType<typeof move>>;
    expect(await roundTrips(async () => (moved = await move()))).toBe(2);
    expect(bodyAt(moved, 200).student.token).toMatch(/^[0-9a-f]{48}$/); // invited: the token issued in those 2
    // A move to a student who is in the exam already: refused from the same batch, no third read.
    const other = await partnerApi(sessionsCreate, { credentials: partner, params: { exam_id: partnerExamId }, json: { email: `in-exam-${nonce()}@example.org` } });
    const clash = () => partnerApi(sessionsUpdate("put"), { credentials: partner, params, json: { email: bodyAt(other, 201).student.email } });
    expect(await roundTrips(clash, 422)).toBe(2);
  });
});
