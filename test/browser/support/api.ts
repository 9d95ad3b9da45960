// Sets up the browser tests' data through the public API, as a client would: a fetch to the running
// service, typed from each route's own definition (src/routes/**) with the types test/workers/api.ts
// defines, so that a test reading a field the API does not document does not type-check. (Only its types:
// its client reaches the Worker in workerd, these tests a service on a port.)
import type { RouteConfig } from "@hono/zod-openapi";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as registerUserRoute } from "../../../src/routes/auth/register-user";
import { route as addExamRoute } from "../../../src/routes/instructor/add-exam";
import { route as syncCoursesExamsRoute } from "../../../src/routes/instructor/sync-courses-exams";
import { readBody, routePath } from "../../support/route-request";
import type { ApiResponse, BodyAt, RequestJson, StatusOf } from "../../workers/api";

let counter = 0;

/** An email no earlier run used (the service keeps its data between runs, as `npm start` does). */
export function uniqueEmail(who: string): string {
  return `${who}.${Date.now().toString(36)}.${process.pid}.${counter++}@example.org`;
}

export const PASSWORD = "a long password for tests";
export const ORGANIZATION = "UCY";

type Init<R extends RouteConfig> = {
  token?: string;
  json?: RequestJson<R>;
  params?: Record<string, string | number>;
  query?: Record<string, string>;
};

export async function api<R extends RouteConfig>(baseUrl: string, route: R, init: Init<R> = {}): Promise<ApiResponse<R>> {
  const res = await fetch(`${baseUrl}/backend${routePath(route, init.params, init.query)}`, {
    method: route.method.toUpperCase(),
    headers: {
      ...(init.json === undefined ? {} : { "content-type": "application/json" }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  return { status: res.status, body: await readBody(res), headers: res.headers } as ApiResponse<R>;
}

/** The success statuses a route documents. */
type Success<R extends RouteConfig> = Extract<StatusOf<R>, 200 | 201>;

/** The body of a success answer; throws with the status and body otherwise (setting up a test's data must work). */
export async function call<R extends RouteConfig>(baseUrl: string, route: R, init: Init<R> = {}): Promise<BodyAt<R, Success<R>>> {
  const res = await api(baseUrl, route, init);
  if (res.status !== 200 && res.status !== 201) throw new Error(`${route.path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as BodyAt<R, Success<R>>;
}

export async function registerAndLogin(baseUrl: string, role: "STUDENT" | "INSTRUCTOR", name: string, surname: string) {
  const email = uniqueEmail(name.toLowerCase());
  await call(baseUrl, registerUserRoute, { json: { email, name, surname, organization: ORGANIZATION, password: PASSWORD, role } });
  const login = await call(baseUrl, loginRoute, { json: { email, password: PASSWORD, organization: ORGANIZATION } });
  return { email, name, surname, token: login.resource_obj.access };
}

/** An exam of the instructor, scheduled a minute from now, with the students enrolled; returns its id. */
export async function createExam(
  baseUrl: string,
  instructorToken: string,
  name: string,
  students: { email: string; name: string; surname: string }[],
  forbiddenProcesses: string[] = [],
) {
  const exam = await call(baseUrl, addExamRoute, {
    token: instructorToken,
    json: {
      name,
      exam_type: "Written",
      duration: 90,
      scheduled_date: new Date(Date.now() + 60_000).toISOString(),
      privacy_policy: "Face verification before the exam; monitoring during it.",
      forbidden_processes: forbiddenProcesses,
    },
  });
  const examId = Number(exam.resource_str);
  await call(baseUrl, syncCoursesExamsRoute, {
    token: instructorToken,
    json: { details: { exam_id: examId, students: students.map(({ email, name, surname }) => ({ email, name, surname })) } },
  });
  return examId;
}

/** A new exam of the instructor with one student the service does not know yet: invited, with a token. */
export async function inviteStudent(baseUrl: string, instructorToken: string, examName: string) {
  const email = uniqueEmail("invited");
  const exam = await call(baseUrl, addExamRoute, {
    token: instructorToken,
    json: { name: examName, exam_type: "Written", duration: 60, scheduled_date: new Date(Date.now() + 3600_000).toISOString(), privacy_policy: "Face verification before the exam." },
  });
  const sync = await call(baseUrl, syncCoursesExamsRoute, {
    token: instructorToken,
    json: { details: { exam_id: Number(exam.resource_str), students: [{ email, name: "Ines", surname: "Invited" }] } },
  });
  const [invitation] = sync.resource_dict.invitations;
  if (!invitation) throw new Error("no invitation issued");
  return { email, token: invitation.token };
}
