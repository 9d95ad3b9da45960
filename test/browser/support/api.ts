// Sets up the browser tests' data through the public API, as a client would.
let counter = 0;

/** An email no earlier run used (the service keeps its data between runs, as `npm start` does). */
export function uniqueEmail(who: string): string {
  return `${who}.${Date.now().toString(36)}.${process.pid}.${counter++}@example.org`;
}

export const PASSWORD = "a long password for tests";
export const ORGANIZATION = "UCY";

type Json = Record<string, any>;

export async function call(baseUrl: string, path: string, options: { token?: string; json?: unknown; method?: string } = {}): Promise<Json> {
  const res = await fetch(`${baseUrl}/backend${path}`, {
    method: options.method ?? (options.json === undefined ? "GET" : "POST"),
    headers: {
      ...(options.json === undefined ? {} : { "content-type": "application/json" }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const body = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function registerAndLogin(baseUrl: string, role: "STUDENT" | "INSTRUCTOR", name: string, surname: string) {
  const email = uniqueEmail(name.toLowerCase());
  await call(baseUrl, "/register_user", { json: { email, name, surname, organization: ORGANIZATION, password: PASSWORD, role } });
  const login = await call(baseUrl, "/login", { json: { email, password: PASSWORD, organization: ORGANIZATION } });
  return { email, name, surname, token: login.resource_obj.access as string };
}

/** An exam of the instructor, scheduled a minute from now, with the students enrolled; returns its id. */
export async function createExam(
  baseUrl: string,
  instructorToken: string,
  name: string,
  students: { email: string; name: string; surname: string }[],
  forbiddenProcesses: string[] = [],
) {
  const exam = await call(baseUrl, "/instructor/add_exam", {
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
  await call(baseUrl, "/instructor/sync_courses_exams", {
    token: instructorToken,
    json: { details: { exam_id: examId, students: students.map(({ email, name, surname }) => ({ email, name, surname })) } },
  });
  return examId;
}
