import { describe, expect, it } from "vitest";
import { call, expect400Shape, uniqueEmail } from "../helpers";

const valid = () => ({
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
    const res = await call("/register_user", { json: body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String), resource_name: "user", resource_str: body.email.trim().toLowerCase() });
  });

  // Found by the fuzz tests: SQLite text with a NUL in it reads back cut at the NUL (and its string
  // functions stop there), so "Ann\u0000Smith" was stored and shown as "Ann". Refused, and nothing stored.
  it("refuses a NUL character in any field with a 400 naming the field, and stores nothing", async () => {
    const body = { ...valid(), name: "Ann\u0000Smith" };
    const res = await call("/register_user", { json: body });
    expect(res.status).toBe(400);
    expect(expect400Shape(res.body)).toMatchObject({ bad_formatted_fields: ["name"], error_details: { name: [expect.stringMatching(/NUL/)] } });
    const login = await call("/login", { json: { email: body.email, password: body.password, organization: body.organization } });
    expect(login.status).toBe(401);
  });

  it("refuses a duplicate email in the same organization with already_exists_fields", async () => {
    const body = valid();
    expect((await call("/register_user", { json: body })).status).toBe(200);
    const res = await call("/register_user", { json: { ...body, email: body.email.toUpperCase() } });
    expect(res.status).toBe(400);
    expect(expect400Shape(res.body).already_exists_fields).toEqual(["email"]);
  });

  it("allows the same email in another organization", async () => {
    const body = valid();
    expect((await call("/register_user", { json: body })).status).toBe(200);
    expect((await call("/register_user", { json: { ...body, organization: "UC" } })).status).toBe(200);
  });

  it("names every missing field at once", async () => {
    const res = await call("/register_user", { json: {} });
    expect(res.status).toBe(400);
    expect(expect400Shape(res.body).missing_required_fields.sort()).toEqual(
      ["email", "name", "organization", "password", "role", "surname"],
    );
    expect(res.body.error_details.email).toEqual(["This field is required."]);
  });

  it("names every badly formatted field at once", async () => {
    const res = await call("/register_user", {
      json: { ...valid(), email: "not-an-email", role: "ADMIN", password: "short", name: 42 },
    });
    expect(res.status).toBe(400);
    expect(expect400Shape(res.body).bad_formatted_fields.sort()).toEqual(["email", "name", "password", "role"]);
    expect(res.body.missing_required_fields).toEqual([]);
  });

  it("refuses an unknown organization (organizations are data, not an enum)", async () => {
    const res = await call("/register_user", { json: { ...valid(), organization: "MIT" } });
    expect(res.status).toBe(400);
    expect(expect400Shape(res.body).bad_formatted_fields).toEqual(["organization"]);
  });

  it("reports unparsable JSON under error_details.json", async () => {
    const res = await call("/register_user", { body: '{"email": "a@b.c",', headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(Object.keys(expect400Shape(res.body).error_details)).toEqual(["json"]);
  });

  it("refuses a JSON body that is not an object", async () => {
    const res = await call("/register_user", { body: "[1,2]", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error_details)).toEqual(["json"]);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const res = await call("/register_user", { body: "email=a@b.c", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ message: expect.stringContaining("application/json") });
  });

  it("answers 413 for a body over the route's limit, with or without Content-Length", async () => {
    const huge = JSON.stringify({ ...valid(), name: "x".repeat(20_000) });
    const res = await call("/register_user", { body: huge, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ message: expect.any(String) });
    const chunked = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode(huge));
        ctl.close();
      },
    });
    const res2 = await call("/register_user", { body: chunked, headers: { "content-type": "application/json" } });
    expect(res2.status).toBe(413);
  });

  it("answers 405 with Allow for a wrong method, and accepts a trailing slash", async () => {
    const res = await call("/register_user", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.body).toEqual({ message: expect.any(String) });
    expect((await call("/register_user/", { json: valid() })).status).toBe(200);
  });
});
