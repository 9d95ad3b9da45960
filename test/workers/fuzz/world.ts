// The people and things a fuzz file calls the API as and about: an institution of its own with a (fake)
// Moodle site, an instructor, a student enrolled in a started exam and sitting it, another institution's
// instructor and exam (ids that must never be reachable), and tokens of every kind. Also the views used to
// check that a refused request stored nothing.
import { env } from "cloudflare:test";
import { inject } from "vitest";
import { openDb } from "../../../src/db/client";
import { institutions } from "../../../src/db/schema";
import { signToken } from "../../../src/lib/jwt";
import { recordDecision } from "../../../src/services/decisions/record";
import { ownerOf, templatesOf } from "../biometrics/fixtures";
import { route as updateExamCondition } from "../../../src/routes/exams/update-exam-condition";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as manualApproveStudent } from "../../../src/routes/instructor/manual-approve-student";
import { route as syncCoursesExams } from "../../../src/routes/instructor/sync-courses-exams";
import { api, bodyAt, type RequestJson } from "../api";
import { loginAs, newSession, registerUser, uniqueEmail } from "../helpers";
import type { Pools } from "./schema-arbitraries";

export const db = () => openDb(inject("databaseUrl"));

async function installMoodleSite(token: string, teacherEmail: string, studentEmail: string) {
  const site = {
    token,
    users: [
      { id: 2, firstname: "Tea", lastname: "Cher", email: teacherEmail },
      { id: 3, firstname: "Stu", lastname: "Dent", email: studentEmail },
    ],
    courses: [{ id: 10, shortname: "ALG", fullname: "Algorithms" }],
    enrolments: [
      { courseId: 10, userId: 2, role: "editingteacher" },
      { courseId: 10, userId: 3, role: "student" },
    ],
  };
  const res = await fetch(`${inject("moodleUrl")}/__fixture/site`, { method: "POST", body: JSON.stringify(site) });
  if (res.status !== 200) throw new Error("could not install the Moodle site");
}

const isoIn = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();


const claimsOf = (token: string) => JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));

/** The same access token, valid for a day: a long fuzz run outlasts the 10-minute tokens. */
async function longLived<T extends { access: string }>(tokens: T): Promise<T> {
  return { ...tokens, access: await signToken({ ...claimsOf(tokens.access), typ: "access" }, env.JWT_SECRET, Date.now(), 24 * 3600) };
}

/**
 * `beforeExam` runs with the student's tokens before the exam starts: once the student is verified for an
 * exam in progress their templates are locked (SECURITY.md), so enrolments a test needs go there.
 */
export async function makeWorld(options: { beforeExam?: (student: { access: string }) => Promise<void> } = {}) {
  const moodleToken = `fuzz-${crypto.randomUUID()}`;
  const code = `FZ${crypto.randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase()}`;
  const [inst] = await db()
    .insert(institutions)
    .values({ code, name: `Fuzz ${code}`, moodleUrl: inject("moodleUrl"), moodleToken })
    .returning();
  const teacherUser = await registerUser({ role: "INSTRUCTOR", organization: code });
  const studentUser = await registerUser({ role: "STUDENT", organization: code });
  const teacher = await longLived(await loginAs(teacherUser));
  const student = await longLived(await loginAs(studentUser));
  await installMoodleSite(moodleToken, teacherUser.email, studentUser.email);

  const examBody: RequestJson<typeof addExamRoute> = {
    name: "Fuzzed exam",
    exam_type: "Written",
    duration: 120,
    scheduled_date: isoIn(30),
    privacy_policy: "Camera and microphone are monitored.",
    moodle_course_id: "10",
  };
  const examId = Number(bodyAt(await api(addExamRoute, { token: teacher.access, json: examBody }), 200).resource_str);
  const students = [{ email: studentUser.email, name: "Stu", surname: "Dent" }];
  bodyAt(await api(syncCoursesExams, { token: teacher.access, json: { details: { exam_id: examId, students } } }), 200);
  await options.beforeExam?.(student);
  bodyAt(await api(manualApproveStudent, { token: teacher.access, json: { exam_id: examId, email: studentUser.email } }), 200);
  bodyAt(await api(updateExamCondition, { token: teacher.access, json: { exam_id: examId, condition: "Start" } }), 200); // start
  bodyAt(await api(updateExamCondition, { token: student.access, json: { exam_id: examId, condition: "Join" } }), 200); // join

  // Another institution's instructor, exam and student (an institution of its own, so that no other test
  // file writes to it): their ids must give 404s (or 403s), never data.
  const otherCode = `FY${crypto.randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase()}`;
  const [other] = await db().insert(institutions).values({ code: otherCode, name: `Fuzz other ${otherCode}` }).returning();
  const foreign = await longLived(await newSession("INSTRUCTOR", otherCode));
  const foreignStudent = await longLived(await newSession("STUDENT", otherCode));
  const foreignExamId = Number(bodyAt(await api(addExamRoute, { token: foreign.access, json: { ...examBody, moodle_course_id: undefined } }), 200).resource_str);

  const claims = claimsOf(student.access);
  // Decision records (written through the service, as the biometric paths write them): the student's own in
  // the exam, and another institution's student's, whose id must answer exactly like an unknown one.
  const decision = (institutionId: number, studentId: number, examId: number) =>
    recordDecision(db(), {
      institutionId, studentId, examId, modality: "face", action: "verify", endpoint: "/biometrics/face_verify",
      outcome: "mismatch", score: 0.2, threshold: 0.44, decideOn: "similarity", securityLevel: "high", now: Date.now(),
    });
  const ownDecision = await decision(inst!.id, Number(claims.sub), examId);
  const foreignDecision = await decision(other!.id, Number(claimsOf(foreignStudent.access).sub), foreignExamId);
  const past = Date.now() - 3 * 3600_000;
  const expired = await signToken({ ...claims, typ: "access" }, env.JWT_SECRET, past, 600);
  const forged = await signToken({ ...claims, role: "INSTRUCTOR", typ: "access" }, "not-the-secret-0123456789abcdef0123456789", Date.now(), 600);
  const unsigned = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" }))}.${student.access.split(".")[1]}.`;

  /** Tokens that must never be let in. */
  const badTokens = ["", "garbage", "Bearer", "a.b.c", expired, forged, unsigned, student.refresh, `${student.access}x`, "x".repeat(8000), "Bearer  Bearer", "\t"];

  const pools: Pools = {
    exam_id: [examId, String(examId), foreignExamId, String(foreignExamId), 0, -1, 999_999_999, 2 ** 53, "1e3", ` ${examId} `, `${examId}.0`],
    email: [studentUser.email, studentUser.email.toUpperCase(), teacherUser.email, foreignStudent.user.email, uniqueEmail("nobody")],
    organization: [code, code.toLowerCase(), otherCode, "UCY", "NOPE"],
    refresh: [foreignStudent.refresh, student.access, "a.b.c"],
    moodle_course_id: ["10", "11", 10, "999999999999999"],
    condition: ["Start", "Join", "Leave", "start"],
    role: ["STUDENT", "INSTRUCTOR", "ADMIN"],
    decision_id: [ownDecision, foreignDecision, crypto.randomUUID(), "not-a-uuid"],
  };

  return {
    institution: inst!,
    otherInstitution: other!,
    teacher: { user: teacherUser, ...teacher },
    student: { user: studentUser, ...student },
    foreign,
    foreignStudent,
    examId,
    foreignExamId,
    badTokens,
    pools,
  };
}

export type World = Awaited<ReturnType<typeof makeWorld>>;

// The tables a refused request must not change. Left out on purpose: login_attempts (a failed login is
// counted), refresh tokens and their families (a reused refresh token revokes its family) and partner
// nonces (a correctly signed request uses its nonce up even when it is refused later).
const STORED = [
  "users",
  "exams",
  "enrolments",
  "manual_approval_requests",
  "feedback",
  "monitoring_events",
  "alerts",
  "process_policies",
  "wallet_exports",
  "partner_callback_outbox",
  // Decision records: a refused biometric request records its refusal on purpose (docs/decisions.md), so new
  // records are not compared; a refused request must still never contest or resolve one.
  "(SELECT rowid AS rowid, id, institution_id, contest_text, contested_at, resolution, resolution_reason, resolved_by, resolved_at FROM decisions WHERE contested_at IS NOT NULL)",
];

/** Every stored row of the given institutions, as one string to compare (one round trip). */
export async function storedRows(institutionIds: number[]): Promise<string> {
  const marks = institutionIds.map(() => "?").join(", ");
  const results = await db().$client.batch(
    STORED.map((t) => ({ sql: `SELECT * FROM ${t} WHERE institution_id IN (${marks}) ORDER BY rowid`, args: institutionIds })),
    "read",
  );
  return JSON.stringify(results.map((r, i) => [STORED[i], r.rows]));
}

/** The rows that differ between two storedRows/visibleState strings (for a readable failure). */
export function changedRows(before: string, after: string): string {
  const parse = (s: string) => {
    const cut = s.indexOf("]]]") + 3; // storedRows' part (templates follow it)
    return { tables: new Map<string, unknown[]>(JSON.parse(s.slice(0, cut))), rest: s.slice(cut) };
  };
  const a = parse(before);
  const b = parse(after);
  const out: string[] = [];
  for (const [table, rows] of b.tables) {
    const was = new Set((a.tables.get(table) ?? []).map((r) => JSON.stringify(r)));
    const now = new Set(rows.map((r) => JSON.stringify(r)));
    for (const r of was) if (!now.has(r)) out.push(`${table} - ${r.slice(0, 400)}`);
    for (const r of now) if (!was.has(r)) out.push(`${table} + ${r.slice(0, 400)}`);
  }
  if (a.rest !== b.rest) out.push(`templates ${a.rest.slice(0, 400)} -> ${b.rest.slice(0, 400)}`);
  return out.join("\n");
}

/**
 * The state once the background work of earlier successful requests (partner status updates and callbacks,
 * run after the response with waitUntil) has settled: read until two reads 100 ms apart agree.
 */
export async function settled(read: () => Promise<string>): Promise<string> {
  let last = await read();
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Fails, naming the changed rows, when a refused request changed what is stored. */
export function expectUnchanged(before: string, after: string, label: string) {
  if (before !== after) throw new Error(`${label}: refused but changed what is stored:\n${changedRows(before, after)}`);
}

/**
 * What a refused request must leave unchanged: the rows of both institutions and, for the biometrics
 * endpoints, the student's templates and wallet copies (in the student's Durable Object, asked directly:
 * its list carries each template's creation time, so a replaced template shows).
 */
export async function visibleState(w: World, withTemplates = false): Promise<string> {
  const rows = await storedRows([w.institution.id, w.otherInstitution.id]);
  if (!withTemplates) return rows;
  const templates = templatesOf(w.student.access);
  const owner = ownerOf(w.student.access);
  return rows + JSON.stringify([await templates.list(owner, {}), await templates.walletVersions(owner)]);
}
