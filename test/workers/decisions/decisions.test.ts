// Issue 15: decision records, their explanations, who may read them, contests and human review, the cohort
// error report, erasure and retention. Records are written through the service (services/decisions/record.ts).
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, decisions, enrolments, erasureRequests, exams } from "../../../src/db/schema";
import { type Bindings, loadConfig } from "../../../src/env";
import { env } from "cloudflare:test";
import { route as examsCreate } from "../../../src/routes/partner/exams-create";
import { partnerApi } from "../partner/api";
import { newPartner } from "../partner/helpers";
import { route as requestManualApproval } from "../../../src/routes/student/request-manual-approval";
import { route as contestRoute } from "../../../src/routes/student/contest-decision";
import { route as studentDecisions } from "../../../src/routes/student/decisions";
import { route as reportRoute } from "../../../src/routes/instructor/decision-report";
import { route as instructorDecisions } from "../../../src/routes/instructor/decisions";
import { route as resolveRoute } from "../../../src/routes/instructor/resolve-decision";
import { route as manualApproveStudent } from "../../../src/routes/instructor/manual-approve-student";
import { markVerified } from "../../../src/services/exams/verification";
import { decisionRow } from "../../../src/services/decisions/record";
import { runErasureJobs } from "../../../src/services/erasure";
import { DAY_MS, pruneDecisions } from "../../../src/services/decisions/retention";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { addExam, db, enrol, instructorExamView } from "../exams/support";
import { decide, idsOf } from "./support";

const bindings = env as unknown as Bindings;

async function examWithStudents(n = 1) {
  const teacher = await newSession("INSTRUCTOR");
  const students = [];
  for (let i = 0; i < n; i++) students.push(await newSession("STUDENT"));
  const examId = await addExam(teacher.access);
  await enrol(teacher.access, examId, students.map((s) => s.user.email));
  return { teacher, students, examId };
}

describe("GET /student/decisions", () => {
  it("lists the student's own decisions, newest first, each explained, one page at a time", async () => {
    const { students: [s], examId } = await examWithStudents();
    const other = await newSession("STUDENT");
    const t = Date.now();
    const accepted = await decide(s!.access, { examId, outcome: "accepted", score: 0.71, threshold: 0.52, now: t });
    await decide(s!.access, { examId, outcome: "quality", reason: "no_face", score: null, threshold: null, quality: { faces: 0 }, now: t - 1000 });
    await decide(s!.access, { outcome: "accepted", action: "register", endpoint: "/biometrics/face_register", score: null, threshold: null, now: t - 2000 });
    await decide(other.access, { examId, now: t + 5 });

    const first = bodyAt(await api(studentDecisions, { token: s!.access, query: { page_size: "2" } }), 200);
    expect(first.resource_array.map((d) => d.outcome)).toEqual(["accepted", "quality"]);
    expect(first.resource_dict).toEqual({ page: 1, page_size: 2, has_more: true });
    const d = first.resource_array[0]!;
    expect(d).toMatchObject({ decision_id: accepted, exam_id: String(examId), modality: "face", action: "verify", score: 0.71, threshold: 0.52, security_level: "high", model_id: "faceplugin-0.0.1-int8-v1", request_id: "req-test" });
    expect(d.model_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d.explanation).toBe("The picture matched your registered face: similarity 0.71, the level 'high' needs at least 0.52. You were marked verified for the exam.");
    expect(first.resource_array[1]!.explanation).toContain("showed no face");

    const second = bodyAt(await api(studentDecisions, { token: s!.access, query: { page: "2", page_size: "2" } }), 200);
    expect(second.resource_array.map((x) => x.action)).toEqual(["register"]);
    expect(second.resource_dict.has_more).toBe(false);
    // The other student's decision is never among them.
    const all = bodyAt(await api(studentDecisions, { token: s!.access, query: { page_size: "100" } }), 200);
    expect(all.resource_array).toHaveLength(3);
  });

  it("refuses a bad page size and an instructor", async () => {
    const s = await newSession("STUDENT");
    const tooBig = await api(studentDecisions, { token: s.access, query: { page_size: "1000" } });
    expect(tooBig.status).toBe(400);
    expect(JSON.stringify(tooBig.body)).toContain("Expected page_size from 1 to 100.");
    const notNumber = await api(studentDecisions, { token: s.access, query: { page: "first" } });
    expect(JSON.stringify(notNumber.body)).toContain("Expected page as an integer.");
    const i = await newSession("INSTRUCTOR");
    expect((await api(studentDecisions, { token: i.access })).status).toBe(403);
  });
});

describe("GET /instructor/decisions", () => {
  it("shows the exam's decisions with the student, filtered by student or contest; a colleague's exam is a 404 like a missing one", async () => {
    const { teacher, students: [a, b], examId } = await examWithStudents(2);
    await decide(a!.access, { examId });
    await decide(b!.access, { examId, outcome: "accepted", score: 0.6 });
    await decide(a!.access, {}); // outside the exam: not the instructor's
    const all = bodyAt(await api(instructorDecisions, { token: teacher.access, query: { exam_id: String(examId) } }), 200);
    expect(all.resource_array).toHaveLength(2);
    expect(all.resource_array.map((d) => d.student?.email).sort()).toEqual([a!.user.email, b!.user.email].sort());
    const onlyA = bodyAt(await api(instructorDecisions, { token: teacher.access, query: { exam_id: String(examId), email: a!.user.email } }), 200);
    expect(onlyA.resource_array.map((d) => d.student?.email)).toEqual([a!.user.email]);

    const colleague = await newSession("INSTRUCTOR");
    const theirs = await api(instructorDecisions, { token: colleague.access, query: { exam_id: String(examId) } });
    const missing = await api(instructorDecisions, { token: colleague.access, query: { exam_id: String(examId + 1_000_000) } });
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body).replaceAll(String(examId), "ID")).toBe(JSON.stringify(missing.body).replaceAll(String(examId + 1_000_000), "ID"));
    expect((await api(instructorDecisions, { token: a!.access, query: { exam_id: String(examId) } })).status).toBe(403);
  });
});

describe("contest and review", () => {
  it("a student contests their decision; another's or an unknown id is the same 404; twice is a 400", async () => {
    const { students: [a, b], examId } = await examWithStudents(2);
    const id = await decide(a!.access, { examId });
    const bs = await api(contestRoute, { token: b!.access, json: { decision_id: id, text: "not mine" } });
    const unknown = await api(contestRoute, { token: b!.access, json: { decision_id: crypto.randomUUID(), text: "x" } });
    expect(bs.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(bs.body.message).toBe(unknown.body.message);
    const ok = bodyAt(await api(contestRoute, { token: a!.access, json: { decision_id: id, text: "That was me, the light was poor." } }), 200);
    expect(ok.resource_obj.contest?.text).toBe("That was me, the light was poor.");
    expect(ok.resource_obj.explanation).toContain("You contested it");
    expect((await api(contestRoute, { token: a!.access, json: { decision_id: id, text: "again" } })).status).toBe(400);
    // Outside an exam nobody reviews: a 400 that says so.
    const outside = await decide(a!.access, {});
    expect((await api(contestRoute, { token: a!.access, json: { decision_id: outside, text: "x" } })).status).toBe(400);
    // Nor once the exam is deleted (decisions outlive it): a probe's contest was accepted that nobody could review.
    const orphan = await decide(a!.access, { examId });
    await db().delete(enrolments).where(eq(enrolments.examId, examId));
    await db().delete(exams).where(eq(exams.id, examId));
    const late = await api(contestRoute, { token: a!.access, json: { decision_id: orphan, text: "x" } });
    expect(bodyAt(late, 400).error_details.decision_id![0]).toMatch(/has been deleted/);
  });

  it("a contest in an exam no instructor owns yet (a partner exam without instructor_email) says it waits for one", async () => {
    // A probe's contest there was told "your instructor will review it".
    const partner = await newPartner();
    const examId = Number(bodyAt(await partnerApi(examsCreate, { credentials: partner, json: { name: "No instructor yet" } }), 201).exam.id);
    const s = await newSession("STUDENT", partner.code);
    const id = await decide(s.access, { examId });
    const res = bodyAt(await api(contestRoute, { token: s.access, json: { decision_id: id, text: "me" } }), 200);
    expect(res.message).toMatch(/no instructor yet/);
  });

  it("overturning a refused verification marks the student verified; the record says who, when and why", async () => {
    const { teacher, students: [a], examId } = await examWithStudents();
    const id = await decide(a!.access, { examId });
    // Not contested yet: nothing to resolve.
    expect((await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "overturned", reason: "r" } })).status).toBe(400);
    bodyAt(await api(contestRoute, { token: a!.access, json: { decision_id: id, text: "It was me." } }), 200);
    const colleague = await newSession("INSTRUCTOR");
    expect((await api(resolveRoute, { token: colleague.access, json: { decision_id: id, resolution: "overturned", reason: "r" } })).status).toBe(404);

    const res = bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "overturned", reason: "Checked: it is the student." } }), 200);
    expect(res.resource_obj.review).toMatchObject({ resolution: "overturned", reason: "Checked: it is the student." });
    expect(res.resource_obj.explanation).toContain("overturned this decision: Checked: it is the student.");
    const [row] = await db().select().from(decisions).where(eq(decisions.id, id));
    expect(row).toMatchObject({ resolvedBy: idsOf(teacher.access).studentId, resolution: "overturned" });
    const student = (await instructorExamView(teacher.access, examId)).enrolled_students.find((s) => s.email === a!.user.email)!;
    expect(student.verification_status).toBe("Verified");
    expect(student.verified_by).toBe("manual");
    expect((await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "upheld", reason: "r" } })).status).toBe(400);
  });

  it("overturning an old refusal of a student verified since by the face: a person's confirmation stands behind it (as a manual approval after a match); ids in capitals are the same id", async () => {
    const { teacher, students: [a], examId } = await examWithStudents();
    const id = await decide(a!.access, { examId });
    // Verified by the face since (as a later face_verify match would do).
    const verifiedAt = Date.now() - 1000;
    await db().update(enrolments).set({ verificationStatus: "Verified", verifiedAt, verifiedBy: "face" }).where(eq(enrolments.examId, examId));
    bodyAt(await api(contestRoute, { token: a!.access, json: { decision_id: id.toUpperCase(), text: "It was me." } }), 200);
    bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: id.toUpperCase(), resolution: "overturned", reason: "Yes" } }), 200);
    const student = (await instructorExamView(teacher.access, examId)).enrolled_students.find((s) => s.email === a!.user.email)!;
    expect(student).toMatchObject({ verification_status: "Verified", verified_by: "manual" });
    // When they were verified stays as it was.
    const [row] = await db().select().from(enrolments).where(eq(enrolments.examId, examId));
    expect(row!.verifiedAt).toBe(verifiedAt);
  });

  it("overturning an accepted face match leaves a person's approval standing, given before the match or after it", async () => {
    for (const order of ["approved, then matched", "matched, then approved"] as const) {
      const { teacher, students: [a], examId } = await examWithStudents();
      const ids = idsOf(a!.access);
      const scope = { institutionId: ids.institutionId, examId, studentId: ids.studentId };
      const approve = () => api(manualApproveStudent, { token: teacher.access, json: { exam_id: examId, email: a!.user.email } });
      const matched = async () => {
        const id = await decide(a!.access, { examId, outcome: "accepted", score: 0.71 });
        expect(await markVerified(db(), scope, Date.now())).toBe("verified");
        return id;
      };
      let id: string;
      if (order === "approved, then matched") {
        expect(bodyAt(await approve(), 200).message).toBe("Student approved successfully");
        id = await matched();
      } else {
        id = await matched();
        expect(bodyAt(await approve(), 200).message).toBe("Student was already verified");
      }
      const view = async () => (await instructorExamView(teacher.access, examId)).enrolled_students.find((s) => s.email === a!.user.email)!;
      expect(await view(), order).toMatchObject({ verification_status: "Verified", verified_by: "manual" });
      bodyAt(await api(contestRoute, { token: a!.access, json: { decision_id: id, text: "Contested." } }), 200);
      bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "overturned", reason: "Not the student." } }), 200);
      expect(await view(), order).toMatchObject({ verification_status: "Verified", verified_by: "manual" });
    }
  });

  it("overturning an accepted face match of a student nobody approved sends them back to Pending, where no face match verifies them again", async () => {
    const { teacher, students: [a], examId } = await examWithStudents();
    const ids = idsOf(a!.access);
    const scope = { institutionId: ids.institutionId, examId, studentId: ids.studentId };
    const id = await decide(a!.access, { examId, outcome: "accepted", score: 0.71 });
    expect(await markVerified(db(), scope, Date.now())).toBe("verified");
    bodyAt(await api(contestRoute, { token: a!.access, json: { decision_id: id, text: "Contested." } }), 200);
    bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: id, resolution: "overturned", reason: "Not the student." } }), 200);
    const view = async () => (await instructorExamView(teacher.access, examId)).enrolled_students.find((s) => s.email === a!.user.email)!;
    expect(await view()).toMatchObject({ verification_status: "Pending", verified_by: null });
    // A probe's student was Verified again by the next face_verify: the person's finding would be undone by the very
    // check it found wrong. Now the next match changes nothing, and an open request for manual approval stays open.
    bodyAt(await api(requestManualApproval, { token: a!.access, json: { exam_id: examId, manual_approval_type: "Face refused after review" } }), 200);
    const blocked = decisionRow({ ...scope, modality: "face", action: "verify", endpoint: "/biometrics/face_verify", outcome: "accepted", score: 0.8, threshold: 0.44, decideOn: "similarity", securityLevel: "high", now: Date.now() });
    expect(await markVerified(db(), scope, Date.now(), [blocked])).toBe("withdrawn");
    expect(await view()).toMatchObject({ verification_status: "Requested Manual Approval", verified_by: null });
    // Its record says the match did not verify the student (a probe read "You were marked verified" on it).
    const record = bodyAt(await api(studentDecisions, { token: a!.access, query: { exam_id: String(examId) } }), 200).resource_array.find((x) => x.decision_id === blocked.id)!;
    expect(record).toMatchObject({ outcome: "accepted", reason: "verification_withdrawn" });
    expect(record.explanation).toMatch(/It did not verify you for the exam/);
    expect(record.explanation).not.toMatch(/marked verified/);
    // A person's approval still verifies them, and a later match keeps it as it is.
    expect(bodyAt(await api(manualApproveStudent, { token: teacher.access, json: { exam_id: examId, email: a!.user.email } }), 200).message).toBe("Student approved successfully");
    expect(await markVerified(db(), scope, Date.now())).toBe("verified");
    expect(await view()).toMatchObject({ verification_status: "Verified", verified_by: "manual" });
  });

  it("overturning a monitoring decision takes its occurrence off the alert (an episode left empty goes); upholding changes nothing", async () => {
    const { teacher, students: [a, b], examId } = await examWithStudents(2);
    const t = Date.now();
    const d = db();
    for (const s of [a!, b!]) {
      await d.insert(alerts).values({ ...idsOf(s.access), examId, reason: "face_mismatch", occurrences: 1, firstSeenAt: t - 10, lastSeenAt: t + 10 });
    }
    const monitoring = { examId, action: "monitoring" as const, endpoint: "/biometrics/monitoring_face/", alerts: [{ reason: "face_mismatch", detail: null }], now: t };
    const idA = await decide(a!.access, monitoring);
    const idB = await decide(b!.access, monitoring);
    for (const [s, id] of [[a!, idA], [b!, idB]] as const) bodyAt(await api(contestRoute, { token: s.access, json: { decision_id: id, text: "me" } }), 200);
    bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: idA, resolution: "overturned", reason: "a colleague walked past" } }), 200);
    bodyAt(await api(resolveRoute, { token: teacher.access, json: { decision_id: idB, resolution: "upheld", reason: "not the student" } }), 200);
    const left = await d.select().from(alerts).where(eq(alerts.examId, examId));
    expect(left.map((x) => x.studentId)).toEqual([idsOf(b!.access).studentId]);
    const contested = bodyAt(await api(instructorDecisions, { token: teacher.access, query: { exam_id: String(examId), contested: "true" } }), 200);
    expect(contested.resource_array.map((x) => x.review?.resolution).sort()).toEqual(["overturned", "upheld"]);
  });
});

describe("GET /instructor/decision_report", () => {
  it("counts refusals by reason, mismatches, contests and overturns by modality and OS, and warns about a group refused more than twice as often", async () => {
    const { teacher, students: [a], examId } = await examWithStudents();
    const mac = { os: "macOS 14" };
    for (let i = 0; i < 10; i++) await decide(a!.access, { examId, outcome: "accepted", score: 0.7, client: mac });
    for (let i = 0; i < 5; i++) await decide(a!.access, { examId, outcome: "quality", reason: "no_face", score: null, client: { os: "Linux" } });
    for (let i = 0; i < 5; i++) await decide(a!.access, { examId, outcome: i < 2 ? "mismatch" : "accepted", modality: "voice", client: mac });
    const r = bodyAt(await api(reportRoute, { token: teacher.access, query: { exam_id: String(examId) } }), 200).resource_obj;
    expect(r.overall).toMatchObject({ decisions: 20, refusals: 7, refusal_rate: 0.35, quality_refusals: { no_face: 5 }, mismatches: 2 });
    expect(r.by_client_os.find((g) => g.group === "Linux")).toMatchObject({ decisions: 5, refusals: 5, refusal_rate: 1 });
    expect(r.warnings.map((w) => `${w.split}:${w.group}`)).toEqual(["client_os:Linux"]);
    expect(r.manual_approvals).toBe(0);

    const colleague = await newSession("INSTRUCTOR");
    expect((await api(reportRoute, { token: colleague.access, query: { exam_id: String(examId) } })).status).toBe(404);
    // The institution over a period: counts only; a period is required without an exam.
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const inst = bodyAt(await api(reportRoute, { token: teacher.access, query: { from, to } }), 200).resource_obj;
    expect(inst.overall.decisions).toBeGreaterThanOrEqual(20);
    expect((await api(reportRoute, { token: teacher.access, query: { from } })).status).toBe(400);
    // 366 local days across an autumn daylight-saving change (Athens, as the dashboard sends them) are 366 days and an hour.
    const year = { from: new Date("2023-03-27T00:00:00+03:00").toISOString(), to: new Date("2024-03-27T00:00:00+02:00").toISOString() };
    expect((await api(reportRoute, { token: teacher.access, query: year })).status).toBe(200);
    const tooLong = { from: year.from, to: new Date(Date.parse(year.to) + 1).toISOString() };
    expect(bodyAt(await api(reportRoute, { token: teacher.access, query: tooLong }), 400).bad_formatted_fields).toEqual(["to"]);
  });
});

describe("erasure and retention", () => {
  it("a student's erasure deletes their decisions", async () => {
    const s = await newSession("STUDENT");
    const id = await decide(s.access, {});
    const me = idsOf(s.access);
    await db().insert(erasureRequests).values({ institutionId: me.institutionId, studentId: me.studentId, requestedAt: Date.now() });
    await runErasureJobs(bindings, db(), loadConfig(bindings), Date.now());
    expect(await db().select().from(decisions).where(eq(decisions.id, id))).toEqual([]);
  });

  it("prunes records once their exam's end (or their own time) is older than the retention period", async () => {
    const { students: [a], examId } = await examWithStudents();
    const now = Date.now();
    const old = await decide(a!.access, { now: now - 400 * DAY_MS });
    const recent = await decide(a!.access, { now: now - 100 * DAY_MS });
    // An old record of an exam that ends in the future is kept until that end plus the period.
    const inExam = await decide(a!.access, { examId, now: now - 400 * DAY_MS });
    await pruneDecisions(db(), 365, now);
    const left = (await db().select({ id: decisions.id }).from(decisions).where(and(eq(decisions.studentId, idsOf(a!.access).studentId)))).map((r) => r.id);
    expect(left).not.toContain(old);
    expect(left).toEqual(expect.arrayContaining([recent, inExam]));
    // Sanity: the enrolment is untouched by pruning.
    expect((await db().select().from(enrolments).where(eq(enrolments.examId, examId))).length).toBe(1);
  });
});
