// A client of Moodle Web Services (REST protocol, JSON format) and what the instructor endpoints need
// from it. Each institution has its own site URL and web-service token (institutions.moodle_url /
// moodle_token, set by an operator with scripts/institution.mjs).
//
// Protocol: POST {site}/webservice/rest/server.php?wstoken=...&wsfunction=...&moodlewsrestformat=json
// with the function's parameters form-encoded (arrays as `name[0]=...`, objects as `name[key]=...`).
// Moodle reports errors as HTTP 200 with a body {exception, errorcode, message}; those become 502s
// that quote Moodle's message. A site that cannot be reached (or times out) is a 503; a site that
// answers something other than JSON, or an HTTP error, is a 502. Never a 500.
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { institutions, users } from "../db/schema";
import { isEmail } from "../lib/email";
import { AppError } from "../lib/errors";
import { readLimited } from "../lib/read-limited";
import type { Person } from "../types";
import { isSealed, openSecret } from "./partner/crypto";
import { usersByEmail } from "./accounts";

const TIMEOUT_MS = 10_000;
// The largest answer read: a course of several thousand participants is a few MiB of JSON; an answer beyond
// this (a wrong URL streaming a file, a broken proxy) is a 502, not the isolate's memory.
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
// moodle_information fetches each course's participants: at most this many courses per request.
export const MAX_MOODLE_COURSES = 25;

export type MoodleSite = { url: string; token: string };

// The shapes of Moodle's answers that this service reads (other fields pass unread). A site answering JSON of
// another shape (a proxy, a plugin, another version) is a 502 naming the function, never a 500.
const MoodleId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const optionalText = z.string().nullish().transform((v) => v ?? undefined);
const MoodleCourseShape = z.object({ id: MoodleId, shortname: optionalText, fullname: z.string(), displayname: optionalText });
const MoodleUserShape = z.object({
  id: MoodleId,
  username: optionalText,
  firstname: optionalText,
  lastname: optionalText,
  fullname: optionalText,
  email: optionalText,
  roles: z.array(z.object({ roleid: z.number(), name: optionalText, shortname: z.string() })).nullish().transform((v) => v ?? undefined),
});
export type MoodleCourse = z.infer<typeof MoodleCourseShape>;
export type MoodleUser = z.infer<typeof MoodleUserShape>;
type Params = Record<string, unknown>;

/** Moodle's nested-parameter form encoding: {a: [1], o: {ids: [2]}} -> a[0]=1&o[ids][0]=2. */
export function encodeParams(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((v, i) => add(`${key}[${i}]`, v));
    else if (typeof value === "object") for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v);
    else if (typeof value === "boolean") out.append(key, value ? "1" : "0");
    else out.append(key, String(value));
  };
  for (const [k, v] of Object.entries(params)) add(k, v);
  return out;
}

export class MoodleClient {
  constructor(
    private readonly site: MoodleSite,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /** Calls `wsfunction` and checks its answer against `shape`. */
  async call<T>(wsfunction: string, params: Params, shape: z.ZodType<T>): Promise<T> {
    const url = new URL("webservice/rest/server.php", this.site.url.endsWith("/") ? this.site.url : `${this.site.url}/`);
    url.searchParams.set("wstoken", this.site.token);
    url.searchParams.set("wsfunction", wsfunction);
    url.searchParams.set("moodlewsrestformat", "json");
    let res: Response;
    try {
      res = await this.fetchImpl(url.toString(), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: encodeParams(params).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw new AppError(
        503,
        timedOut
          ? `The Moodle site did not answer within ${TIMEOUT_MS / 1000} s; try again later`
          : "The Moodle site could not be reached; try again later or ask the operator to check moodle_url",
        { kind: "message" },
        { "Retry-After": "60" },
      );
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new AppError(502, `The Moodle site answered HTTP ${res.status} to ${wsfunction}`);
    }
    const tooLarge = () => new AppError(502, `The Moodle site's answer to ${wsfunction} is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`);
    let bytes: Uint8Array;
    try {
      bytes = await readLimited(res.body, res.headers, MAX_ANSWER_BYTES, tooLarge);
    } catch (e) {
      if (e instanceof AppError) throw e;
      // The answer broke off or outlasted the timeout while it was being read.
      throw new AppError(503, `The Moodle site's answer to ${wsfunction} did not arrive whole; try again later`, { kind: "message" }, { "Retry-After": "60" });
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new AppError(502, `The Moodle site did not answer ${wsfunction} with JSON; check that moodle_url is the site's root`);
    }
    if (body && typeof body === "object" && !Array.isArray(body) && "exception" in body) {
      const err = body as { exception?: unknown; errorcode?: unknown; message?: unknown };
      const code = typeof err.errorcode === "string" ? err.errorcode : String(err.exception);
      const message = typeof err.message === "string" ? err.message : "no message";
      throw new AppError(502, `Moodle reported an error for ${wsfunction} (${code}): ${message}`);
    }
    const parsed = shape.safeParse(body);
    if (!parsed.success) throw new AppError(502, `The Moodle site answered ${wsfunction} with data of an unexpected shape; check that moodle_url is a Moodle site`);
    return parsed.data;
  }

  getCourses(ids: number[]): Promise<MoodleCourse[]> {
    return this.call("core_course_get_courses", { options: { ids } }, z.array(MoodleCourseShape));
  }
  /**
   * The course's participants with an active enrolment: without `onlyactive` Moodle also lists suspended ones
   * (how a teacher withdraws a student) and says nothing of their status. The option needs the token's user to
   * hold moodle/course:enrolreview in the course (docs/exams.md "Moodle").
   */
  getEnrolledUsers(courseId: number): Promise<MoodleUser[]> {
    const onlyActive = [{ name: "onlyactive", value: 1 }];
    return this.call("core_enrol_get_enrolled_users", { courseid: courseId, options: onlyActive }, z.array(MoodleUserShape));
  }
  getUsersByEmail(email: string): Promise<MoodleUser[]> {
    return this.call("core_user_get_users_by_field", { field: "email", values: [email] }, z.array(MoodleUserShape));
  }
  getUserCourses(userId: number): Promise<MoodleCourse[]> {
    return this.call("core_enrol_get_users_courses", { userid: userId }, z.array(MoodleCourseShape));
  }
}

// ---------------------------------------------------------------------------------------------
// What the instructor endpoints use

export type MoodleStudent = { name: string; surname: string; email: string };

/**
 * The institution's Moodle client; 503 when the institution has no Moodle configured. The token is stored sealed
 * (scripts/institution.mjs, with the PARTNER_SECRET_KEY_ENCRYPTION_KEY secret, `sealKey` here); a token stored
 * as plain text before sealing existed is still used as it is.
 */
export async function moodleFor(db: Db, institutionId: number, sealKey?: string, fetchImpl?: typeof fetch): Promise<MoodleClient> {
  const [inst] = await db
    .select({ url: institutions.moodleUrl, token: institutions.moodleToken })
    .from(institutions)
    .where(eq(institutions.id, institutionId))
    .limit(1);
  if (!inst?.url || !inst.token) {
    throw new AppError(503, "Moodle is not configured for this institution; ask the operator to set its Moodle URL and token");
  }
  let token = inst.token;
  if (isSealed(token)) {
    const opened = sealKey ? await openSecret(sealKey, institutionId, token, "moodle-token") : null;
    if (opened === null) {
      console.error(JSON.stringify({ level: "error", msg: "moodle token does not open", institutionId, keyConfigured: Boolean(sealKey) }));
      throw new AppError(503, "The institution's Moodle token cannot be read; ask the operator to set it again");
    }
    token = opened;
  }
  return new MoodleClient({ url: inst.url, token }, fetchImpl);
}

const isStudent = (u: MoodleUser) => (u.roles ?? []).some((r) => r.shortname === "student");
const teaches = (u: MoodleUser) => (u.roles ?? []).some((r) => r.shortname !== "student" && r.shortname !== "guest");
const sameEmail = (a: string | undefined, b: string) => (a ?? "").trim().toLowerCase() === b;

/** A participant with the student role who cannot be enrolled here: no email visible to the token, or one not accepted. */
export type MoodleStudentWithoutEmail = { moodle_user_id: string; name: string; surname: string; reason: string };

/**
 * The course's participants with the student role, in one pass: those that carry an email (Moodle hides emails from
 * tokens without the capability), each email once (compared case-insensitively: one email is one TRUSTID account),
 * and those left out for their email, named (a probe's sync of 5 students enrolled 1 and said nothing of the other
 * 4: the instructor could not know they could not sit the exam), a second participant with an email already seen
 * included (two people would otherwise share one account and one face template without anyone being told).
 */
function courseStudents(participants: MoodleUser[]): { students: MoodleStudent[]; withoutEmail: MoodleStudentWithoutEmail[] } {
  const seen = new Map<string, number>();
  const students: MoodleStudent[] = [];
  const withoutEmail: MoodleStudentWithoutEmail[] = [];
  for (const u of participants.filter(isStudent)) {
    const given = (u.email ?? "").trim();
    const email = given.toLowerCase();
    const names = { name: cleanName(u.firstname), surname: cleanName(u.lastname) };
    if (!isEmail(email)) {
      const reason = given === "" ? "no email visible to the service's Moodle token (hidden, or empty)" : `email not accepted: ${given.slice(0, 254)}`;
      withoutEmail.push({ moodle_user_id: String(u.id), ...names, reason });
    } else if (seen.has(email)) {
      const first = seen.get(email)!;
      // Not "who is enrolled with it": the first may be left out too (an instructor account here; a probe).
      withoutEmail.push({ moodle_user_id: String(u.id), ...names, reason: `email shared with Moodle user ${first}: one account per email here` });
    } else {
      seen.set(email, u.id);
      students.push({ ...names, email });
    }
  }
  return { students, withoutEmail };
}

/**
 * A name from Moodle as every other name here is kept (register_user, a students list): control characters (a NUL cut
 * the rest of the name when stored) become spaces, runs of white space one space, trimmed, at most 150 UTF-16 units,
 * cut between characters (a cut inside an emoji left half of it: not text). Moodle's names are not refused: one odd
 * name must not stop a course's sync.
 */
function cleanName(name: string | undefined): string {
  const cut = (name ?? "").replace(/[\u0000-\u001f\u007f]/g, " ").replace(/\s+/g, " ").trim().slice(0, 150);
  return (/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut).trim();
}

async function instructorEmail(db: Db, instructor: Person): Promise<string> {
  const [me] = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.id, instructor.userId), eq(users.institutionId, instructor.institutionId)))
    .limit(1);
  if (!me) throw AppError.notFound("user", String(instructor.userId), "User not found");
  return me.email;
}

/**
 * The Moodle courses the instructor teaches (matched by their email; a role other than student or
 * guest), each with its students. 404 user when the email is not a Moodle user of the site. Students whose email is an
 * instructor account here (a teaching assistant with Moodle's student role) are listed apart, as sync leaves them out.
 */
export async function instructorMoodleCourses(db: Db, instructor: Person, sealKey?: string) {
  const moodle = await moodleFor(db, instructor.institutionId, sealKey);
  const email = await instructorEmail(db, instructor);
  const [me] = await moodle.getUsersByEmail(email);
  if (!me) throw AppError.notFound("user", email, "Your email is not a user of the institution's Moodle site");
  const courses = (await moodle.getUserCourses(me.id)).slice(0, MAX_MOODLE_COURSES);
  const participants = await Promise.all(courses.map((c) => moodle.getEnrolledUsers(c.id)));
  const taught = courses.flatMap((course, i) => {
    const people = participants[i] ?? [];
    return people.some((u) => sameEmail(u.email, email) && teaches(u)) ? [{ course, ...courseStudents(people) }] : [];
  });
  // Sync leaves out the emails of instructor accounts here (roster.ts): the preview lists them apart.
  const accounts = await usersByEmail(db, instructor.institutionId, [...new Set(taught.flatMap((t) => t.students.map((s) => s.email)))]);
  const isInstructor = (s: MoodleStudent) => accounts.get(s.email)?.role === "INSTRUCTOR";
  return taught.map(({ course, students, withoutEmail }) => ({
    moodle_course_id: String(course.id),
    moodle_course_name: course.fullname,
    enrolled_students: students.filter((s) => !isInstructor(s)),
    skipped_instructors: students.filter(isInstructor).map((s) => s.email),
    skipped_without_email: withoutEmail,
  }));
}

/**
 * The students of one Moodle course that the instructor teaches; 404 (moodle course) when the course
 * does not exist or the instructor does not teach it.
 */
export async function moodleCourseStudents(
  db: Db,
  instructor: Person,
  courseId: number,
  sealKey?: string,
): Promise<{ course: MoodleCourse; students: MoodleStudent[]; withoutEmail: MoodleStudentWithoutEmail[] }> {
  const moodle = await moodleFor(db, instructor.institutionId, sealKey);
  const email = await instructorEmail(db, instructor);
  const notYours = () => AppError.notFound("moodle course", String(courseId), "Moodle course not found among the courses you teach");
  const [course] = await moodle.getCourses([courseId]);
  if (!course) throw notYours();
  const people = await moodle.getEnrolledUsers(courseId);
  if (!people.some((u) => sameEmail(u.email, email) && teaches(u))) throw notYours();
  return { course, ...courseStudents(people) };
}
