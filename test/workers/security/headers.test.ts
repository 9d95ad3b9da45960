// SECURITY.md "Headers and CORS": every Worker response (success, error, 404/405, partner API, docs page)
// carries the security headers; the API sends no CORS headers, so cross-origin pages cannot read it.
import { describe, expect, it } from "vitest";
import { DOCS_CSP } from "../../../src/routes/system/docs";
import { call, newSession } from "../helpers";

const EVIL = "https://evil.example";

function accessControlHeaders(headers: Headers): string[] {
  const names: string[] = [];
  headers.forEach((_value, name) => {
    if (name.startsWith("access-control-")) names.push(name);
  });
  return names;
}

function expectSecurityHeaders(headers: Headers, csp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'") {
  expect(headers.get("content-security-policy")).toBe(csp);
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("x-frame-options")).toBe("DENY");
  expect(headers.get("referrer-policy")).toBe("no-referrer");
  expect(headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
  expect(headers.get("cross-origin-resource-policy")).toBe("same-origin");
  expect(headers.get("access-control-allow-origin")).toBeNull();
  expect(headers.get("access-control-allow-credentials")).toBeNull();
}

describe("security headers", () => {
  it("on API successes and on every kind of error (400, 401, 404, 405, partner 403)", async () => {
    const s = await newSession("STUDENT");
    const responses = [
      await call("/trustid_version"),
      await call("/student/list_exam", { token: s.access }),
      await call("/login", { json: {} }), // 400
      await call("/student/list_exam"), // 401
      await call("/no_such_endpoint"), // 404
      await call("/login"), // 405 (GET on a POST endpoint)
      await call("/api/v3/exams", { absolute: true }), // partner 403
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 400, 401, 404, 405, 403]);
    for (const r of responses) expectSecurityHeaders(r.headers);
  });

  it("on /backend/docs: its own CSP (own scripts only), never framed", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expectSecurityHeaders(res.headers, DOCS_CSP);
    expect(DOCS_CSP).toContain("script-src 'self';");
    expect(DOCS_CSP).not.toMatch(/script-src[^;]*(unsafe|\*|http)/);
    // The page itself has no inline script (the CSP would block it).
    expect(String(res.body)).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe("CORS", () => {
  it("answers a cross-origin request without any Access-Control-* header", async () => {
    const s = await newSession("STUDENT");
    const res = await call("/student/list_exam", { token: s.access, headers: { origin: EVIL } });
    expect(res.status).toBe(200);
    expect(accessControlHeaders(res.headers)).toEqual([]);
  });

  it("fails a preflight (no Access-Control-Allow-* headers), so browsers never send the real request", async () => {
    for (const path of ["/login", "/student/list_exam", "/biometrics/register"]) {
      const res = await call(path, {
        method: "OPTIONS",
        headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
      });
      expect(res.status).toBe(405);
      expect(accessControlHeaders(res.headers)).toEqual([]);
    }
  });
});
