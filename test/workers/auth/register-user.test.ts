import { describe, expect, it } from "vitest";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as registerUserRoute } from "../../../src/routes/auth/register-user";
import { api, bodyAt, raw, type RequestJson } from "../api";
import { expect400Shape, uniqueEmail } from "../helpers";

const valid = (): RequestJson<typeof registerUserRoute> => ({
  email: uniqueEmail(),
  name: "Maria",
  surname: "Ioannou",
  organization: "UPAT",
  password: "a good long password",
  role: "STUDENT",
});

describe("POST /backend/register_user", () => {
  it("creates a user and answers in the envelope (email normalised)", async () => {
    const body = { ...valid(), email: `  ${uniqueEmail().toUpperCase()} ` };
    const res = await api(registerUserRoute, { json: body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String), resource_name: "user", resource_str: body.email.trim().toLowerCase() });
  });

  // Found by the fuzz tests: SQLite text with a NUL in it reads back cut at the NUL (and its string
  // functions stop there), so "Ann\u0000Smith" was stored and shown as "Ann". Refused, and nothing stored.
  it("refuses a NUL character in any field with a 400 naming the field, and stores nothing", async () => {
    const body = { ...valid(), name: "Ann\u0000Smith" };
    const res = await api(registerUserRoute, { json: body });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400))).toMatchObject({ bad_formatted_fields: ["name"], error_details: { name: [expect.stringMatching(/NUL/)] } });
    const login = await api(loginRoute, { json: { email: body.email, password: body.password, organization: body.organization } });
    expect(login.status).toBe(401);
  });

  // Found by a black-box probe: "Ann\ud800" (half of a surrogate pair, a valid JSON escape) was stored as "Ann\uFFFD".
  it("refuses a lone surrogate escape in any field with a 400 naming the field, and stores nothing", async () => {
    const body = { ...valid(), surname: "Smith" };
    const text = JSON.stringify(body).replace('"Smith"', '"Sm\\ud800ith"');
    const res = await api(registerUserRoute, { raw: { contentType: "application/json", body: text } });
    expect(expect400Shape(bodyAt(res, 400))).toMatchObject({ bad_formatted_fields: ["surname"], error_details: { surname: [expect.stringMatching(/surrogate/)] } });
    const login = await api(loginRoute, { json: { email: body.email, password: body.password, organization: body.organization } });
    expect(login.status).toBe(401);
    // A pair, escaped (an emoji as Python writes it), is text: accepted.
    const pair = JSON.stringify({ ...valid(), surname: "Smith" }).replace('"Smith"', '"Smith \\ud83d\\ude00"');
    expect((await api(registerUserRoute, { raw: { contentType: "application/json", body: pair } })).status).toBe(200);
  });

  it("refuses a duplicate email in the same organization with already_exists_fields", async () => {
    const body = valid();
    expect((await api(registerUserRoute, { json: body })).status).toBe(200);
    const res = await api(registerUserRoute, { json: { ...body, email: body.email.toUpperCase() } });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400)).already_exists_fields).toEqual(["email"]);
  });

  it("allows the same email in another organization", async () => {
    const body = valid();
    expect((await api(registerUserRoute, { json: body })).status).toBe(200);
    expect((await api(registerUserRoute, { json: { ...body, organization: "UC" } })).status).toBe(200);
  });

  it("names every missing field at once", async () => {
    const res = await api(registerUserRoute, { unchecked: {} });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400)).missing_required_fields.sort()).toEqual(
      ["email", "name", "organization", "password", "role", "surname"],
    );
    expect(bodyAt(res, 400).error_details.email).toEqual(["This field is required."]);
  });

  it("names every badly formatted field at once", async () => {
    const res = await api(registerUserRoute, {
      unchecked: { ...valid(), email: "not-an-email", role: "ADMIN", password: "short", name: 42 },
    });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields.sort()).toEqual(["email", "name", "password", "role"]);
    expect(bodyAt(res, 400).missing_required_fields).toEqual([]);
  });

  it("refuses an unknown organization (organizations are data, not an enum)", async () => {
    const res = await api(registerUserRoute, { json: { ...valid(), organization: "MIT" } });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields).toEqual(["organization"]);
  });

  it("reports unparsable JSON under error_details.json", async () => {
    const res = await api(registerUserRoute, { raw: { body: '{"email": "a@b.c",', contentType: "application/json" } });
    expect(res.status).toBe(400);
    expect(Object.keys(expect400Shape(bodyAt(res, 400)).error_details)).toEqual(["json"]);
  });

  it("refuses a JSON body that is not an object", async () => {
    const res = await api(registerUserRoute, { raw: { body: "[1,2]", contentType: "application/json" } });
    expect(res.status).toBe(400);
    expect(Object.keys(bodyAt(res, 400).error_details)).toEqual(["json"]);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const res = await api(registerUserRoute, { raw: { body: "email=a@b.c", contentType: "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ message: expect.stringContaining("application/json") });
  });

  it("answers 413 for a body over the route's limit, with or without Content-Length", async () => {
    const huge = JSON.stringify({ ...valid(), name: "x".repeat(20_000) });
    const res = await api(registerUserRoute, { raw: { body: huge, contentType: "application/json" } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ message: expect.any(String) });
    const chunked = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode(huge));
        ctl.close();
      },
    });
    const res2 = await api(registerUserRoute, { raw: { body: chunked, contentType: "application/json" } });
    expect(res2.status).toBe(413);
  });

  it("answers 405 with Allow for a wrong method, and accepts a trailing slash", async () => {
    const res = await raw("/backend/register_user", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.body).toEqual({ message: expect.any(String) });
    expect((await raw("/backend/register_user/", { headers: { "content-type": "application/json" }, body: JSON.stringify(valid()) })).status).toBe(200);
    // Two trailing slashes are no route's path: 404 with the not-found body, not a 405 naming the method it allows.
    const doubled = await raw("/backend/register_user//", { headers: { "content-type": "application/json" }, body: JSON.stringify(valid()) });
    expect(doubled.status).toBe(404);
    expect(doubled.body).toMatchObject({ resource_name: "endpoint" });
  });
});
