// SECURITY.md "Headers and CORS": every Worker response (success, error, 404/405, partner API, docs page)
// carries the security headers; the API sends no CORS headers, so cross-origin pages cannot read it.
import { describe, expect, it } from "vitest";
import { DOCS_CSP } from "../../../src/routes/system/docs";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { route as trustidVersion } from "../../../src/routes/system/trustid-version";
import { api, raw } from "../api";
import { newSession } from "../helpers";

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
  // Never cached by a browser or proxy (a probe read a student's my_data back from Chromium's cache without a token).
  expect(headers.get("cache-control")).toBe("no-store");
}

describe("security headers", () => {
  it("on API successes and on every kind of error (400, 401, 404, 405, partner 403)", async () => {
    const s = await newSession("STUDENT");
    const responses = [
      await api(trustidVersion),
      await api(studentListExam, { token: s.access }),
      await api(loginRoute, { unchecked: {} }), // 400
      await api(studentListExam), // 401
      await raw("/backend/no_such_endpoint"), // 404
      await raw("/backend/login"), // 405 (GET on a POST endpoint)
      await raw("/api/v3/exams"), // partner 403
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 400, 401, 404, 405, 403]);
    for (const r of responses) expectSecurityHeaders(r.headers);
  });

  it("on /backend/docs: its own CSP (own scripts only), never framed", async () => {
    const res = await raw("/backend/docs");
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
    const res = await api(studentListExam, { token: s.access, headers: { origin: EVIL } });
    expect(res.status).toBe(200);
    expect(accessControlHeaders(res.headers)).toEqual([]);
  });

  it("fails a preflight (no Access-Control-Allow-* headers), so browsers never send the real request", async () => {
    for (const path of ["/backend/login", "/backend/student/list_exam", "/backend/biometrics/register", "/api/v3/exams", "/api/v3/exams/1", "/api/v3/exams/1/student_sessions/"]) {
      const res = await raw(path, {
        method: "OPTIONS",
        headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
      });
      expect(res.status, path).toBe(405);
      expect(res.headers.get("allow"), path).toMatch(/GET|POST/);
      expect(accessControlHeaders(res.headers)).toEqual([]);
    }
    // A partner path no route takes is still the partner API's 404.
    expect((await raw("/api/v3/nothing_here", { method: "OPTIONS" })).status).toBe(404);
  });
});
