// A small HTTP server that speaks Moodle Web Services' REST protocol (server.php, wstoken, wsfunction,
// moodlewsrestformat, form-encoded nested parameters) with Moodle's JSON shapes and its error bodies
// (HTTP 200 + {exception, errorcode, message}). Runs in Node (global setup); the Worker under test calls
// it over real HTTP. Tests install a site per token with POST /__fixture/site, so they never share data.
// Tokens with special meaning: "http-500" answers HTTP 500, "html" answers an HTML page, "wrong-shape" and
// "json-null" answer JSON that is not what the function returns, "huge" a 17 MiB answer.
import http from "node:http";
import { listenOnLocalPort, type LocalServer } from "./listen";

export type FakeMoodleSite = {
  token: string;
  users: { id: number; firstname: string; lastname: string; email?: string; username?: string }[]; // no email: hidden from the token, as Moodle leaves the field out
  courses: { id: number; shortname: string; fullname: string }[];
  /** Who is in which course with which role shortname (student, editingteacher, teacher, ...); `suspended` as a teacher withdraws a student. */
  enrolments: { courseId: number; userId: number; role: string; suspended?: boolean }[];
  /** The token's user lacks moodle/course:enrolreview, which Moodle requires for the `onlyactive` option. */
  withoutEnrolReview?: boolean;
};

const ROLE_IDS: Record<string, number> = { manager: 1, editingteacher: 3, teacher: 4, student: 5, guest: 6 };

/** Moodle-style nested keys: `options[ids][0]=2` -> { options: { ids: ["2"] } } (arrays as objects keyed by index). */
function parseNested(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== "");
    let node: Record<string, unknown> = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else node = (node[p] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}
const listOf = (v: unknown): string[] => (v && typeof v === "object" ? Object.values(v as Record<string, string>) : []);

const exception = (exception: string, errorcode: string, message: string, debuginfo?: string) => ({
  exception,
  errorcode,
  message,
  ...(debuginfo ? { debuginfo } : {}),
});
const invalidParameter = (debuginfo: string) =>
  exception("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", debuginfo);

function run(site: FakeMoodleSite, fn: string, p: Record<string, unknown>): unknown {
  const userView = (u: FakeMoodleSite["users"][number]) => ({
    id: u.id,
    username: u.username ?? (u.email ?? `user${u.id}`).split("@")[0],
    firstname: u.firstname,
    lastname: u.lastname,
    fullname: `${u.firstname} ${u.lastname}`,
    ...(u.email !== undefined ? { email: u.email } : {}),
  });
  const courseView = (c: FakeMoodleSite["courses"][number]) => ({
    id: c.id,
    shortname: c.shortname,
    fullname: c.fullname,
    displayname: c.fullname,
    categoryid: 1,
    format: "topics",
    visible: 1,
  });
  switch (fn) {
    case "core_course_get_courses": {
      const ids = listOf((p.options as Record<string, unknown> | undefined)?.ids).map(Number);
      return site.courses.filter((c) => ids.length === 0 || ids.includes(c.id)).map(courseView);
    }
    case "core_enrol_get_enrolled_users": {
      if (p.courseid === undefined) return invalidParameter("courseid => Invalid parameter value detected: Missing required key in single structure: courseid");
      const courseId = Number(p.courseid);
      if (!site.courses.some((c) => c.id === courseId)) {
        return exception("dml_missing_record_exception", "invalidrecord", "Can't find data record in database table course.");
      }
      // As Moodle: options[i][name]=onlyactive with a true value leaves suspended enrolments out and needs
      // moodle/course:enrolreview; without it every enrolment is listed, with no status to tell them apart.
      const options = listOf(p.options as Record<string, unknown> | undefined) as unknown as { name?: string; value?: string }[];
      const onlyActive = options.some((o) => o?.name === "onlyactive" && o.value !== undefined && o.value !== "0" && o.value !== "");
      if (onlyActive && site.withoutEnrolReview) {
        return exception("required_capability_exception", "nopermissions", "Sorry, but you do not currently have permissions to do that (Review course enrolments).");
      }
      const inCourse = site.enrolments.filter((e) => e.courseId === courseId && !(onlyActive && e.suspended));
      return site.users
        .filter((u) => inCourse.some((e) => e.userId === u.id))
        .map((u) => ({
          ...userView(u),
          roles: inCourse
            .filter((e) => e.userId === u.id)
            .map((e) => ({ roleid: ROLE_IDS[e.role] ?? 99, name: "", shortname: e.role, sortorder: 0 })),
        }));
    }
    case "core_user_get_users_by_field": {
      if (p.field !== "email") return invalidParameter("field => Invalid parameter value detected");
      const wanted = listOf(p.values).map((v) => v.toLowerCase());
      return site.users.filter((u) => wanted.includes((u.email ?? "").toLowerCase())).map(userView);
    }
    case "core_enrol_get_users_courses": {
      const userId = Number(p.userid);
      const courseIds = new Set(site.enrolments.filter((e) => e.userId === userId).map((e) => e.courseId));
      return site.courses.filter((c) => courseIds.has(c.id)).map(courseView);
    }
    default:
      return exception(
        "dml_missing_record_exception",
        "invalidrecord",
        "Can't find data record in database table external_functions.",
      );
  }
}

export function startFakeMoodle(): Promise<LocalServer> {
  const sites = new Map<string, FakeMoodleSite>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, type: string, text: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(text);
    };
    const json = (value: unknown) => send(200, "application/json", JSON.stringify(value));

    if (req.method === "POST" && url.pathname === "/__fixture/site") {
      const site = JSON.parse(body) as FakeMoodleSite;
      sites.set(site.token, site);
      return json({ ok: true });
    }
    if (url.pathname !== "/webservice/rest/server.php") return send(404, "text/html", "<h1>Not found</h1>");

    const params = new URLSearchParams(url.search);
    if (req.method === "POST") for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    const token = params.get("wstoken") ?? "";
    const fn = params.get("wsfunction") ?? "";
    if (params.get("moodlewsrestformat") !== "json") {
      return send(200, "application/xml", '<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE></RESPONSE>');
    }
    if (token === "http-500") return send(500, "text/html", "<h1>Internal error</h1>");
    if (token === "html") return send(200, "text/html", "<!doctype html><title>Moodle</title><p>Log in</p>");
    if (token === "wrong-shape") return send(200, "application/json", JSON.stringify({ users: "nope", courses: 5 }));
    if (token === "json-null") return send(200, "application/json", "null");
    if (token === "huge") {
      // A 17 MiB JSON array streamed without Content-Length (chunked), like a proxy relaying a file.
      res.writeHead(200, { "content-type": "application/json" });
      const piece = Buffer.from(`${JSON.stringify({ id: 1, fullname: "x".repeat(1000) })},`);
      res.write("[");
      for (let sent = 0; sent < 17 * 1024 * 1024; sent += piece.length) res.write(piece);
      return res.end("{}]");
    }
    const site = sites.get(token);
    if (!site) return json(exception("moodle_exception", "invalidtoken", "Invalid token - token not found"));
    const p = parseNested(params);
    delete p.wstoken;
    delete p.wsfunction;
    delete p.moodlewsrestformat;
    return json(run(site, fn, p));
  });
  return listenOnLocalPort(server);
}
