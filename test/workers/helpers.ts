// Test helpers: call the Worker as a client would, and make fresh users per test (no shared rows).
// SELF goes through the same entry as production traffic (static assets first, then the Worker).
import { SELF } from "cloudflare:test";

export const BASE = "http://trustid.test/backend";

type CallInit = { absolute?: boolean; method?: string; json?: unknown; body?: BodyInit; token?: string; headers?: Record<string, string> };

export async function call(path: string, init: CallInit = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined) headers["content-type"] ??= "application/json";
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await SELF.fetch(
    new Request(init.absolute ? `http://trustid.test${path}` : `${BASE}${path}`, {
      method: init.method ?? (init.json !== undefined || init.body !== undefined ? "POST" : "GET"),
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    }),
  );
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

let counter = 0;
export const uniqueEmail = (prefix = "user") =>
  `${prefix}.${Date.now().toString(36)}.${(counter++).toString(36)}.${crypto.randomUUID().slice(0, 8)}@example.org`;

export type TestUser = { email: string; password: string; organization: string; role: "INSTRUCTOR" | "STUDENT" };

/** `invitationToken`: to claim an invited account (the token its invitation carried). */
export async function registerUser(over: Partial<TestUser> = {}, invitationToken?: string): Promise<TestUser> {
  const user: TestUser = {
    email: uniqueEmail(over.role?.toLowerCase() ?? "student"),
    password: "a good long password",
    organization: "UCY",
    role: "STUDENT",
    ...over,
  };
  const json = { ...user, name: "Test", surname: "User", ...(invitationToken ? { invitation_token: invitationToken } : {}) };
  const res = await call("/register_user", { json });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return user;
}

export async function loginAs(user: TestUser): Promise<{ access: string; refresh: string }> {
  const res = await call("/login", { json: { email: user.email, password: user.password, organization: user.organization } });
  if (res.status !== 201) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.resource_obj;
}

export async function newSession(role: "INSTRUCTOR" | "STUDENT" = "STUDENT", organization = "UCY") {
  const user = await registerUser({ role, organization });
  return { user, ...(await loginAs(user)) };
}

/** Asserts the documented 400 body shape and returns it. */
export function expect400Shape(body: any) {
  for (const key of ["message", "missing_required_fields", "bad_formatted_fields", "already_exists_fields", "error_details"]) {
    if (!(key in body)) throw new Error(`400 body lacks ${key}: ${JSON.stringify(body)}`);
  }
  return body;
}
