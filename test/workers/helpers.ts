// Test helpers: make fresh users per test (no shared rows), through the typed client (./api.ts).
import { route as loginRoute } from "../../src/routes/auth/login";
import { route as registerUserRoute } from "../../src/routes/auth/register-user";
import { api, bodyAt } from "./api";

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
  bodyAt(await api(registerUserRoute, { json }), 200);
  return user;
}

export async function loginAs(user: TestUser): Promise<{ access: string; refresh: string }> {
  const res = await api(loginRoute, { json: { email: user.email, password: user.password, organization: user.organization } });
  return bodyAt(res, 201).resource_obj;
}

export async function newSession(role: "INSTRUCTOR" | "STUDENT" = "STUDENT", organization = "UCY") {
  const user = await registerUser({ role, organization });
  return { user, ...(await loginAs(user)) };
}

/** Asserts the documented 400 body shape and returns it. */
export function expect400Shape<T extends object>(body: T): T {
  for (const key of ["message", "missing_required_fields", "bad_formatted_fields", "already_exists_fields", "error_details"]) {
    if (!(key in body)) throw new Error(`400 body lacks ${key}: ${JSON.stringify(body)}`);
  }
  return body;
}
