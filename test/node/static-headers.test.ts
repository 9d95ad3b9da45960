// SECURITY.md "Headers and CORS", static pages: public/_headers (applied by Workers static assets, which the
// Worker tests do not serve) gives every page a strict CSP, and the pages obey it (no inline script or handler).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** public/_headers as { path pattern: { header (lower case): value } }. */
function parseHeadersFile(text: string): Record<string, Record<string, string>> {
  const rules: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | null = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      current = rules[line.trim()] = {};
    } else if (current) {
      const i = line.indexOf(":");
      current[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  return rules;
}

const rules = parseHeadersFile(readFileSync("public/_headers", "utf8"));
const directives = (csp: string) => Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));

describe("public/_headers", () => {
  it("gives every page a CSP that allows only the site's own scripts and forbids framing", () => {
    const all = rules["/*"]!;
    const csp = directives(all["content-security-policy"]!);
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["script-src"]).toEqual(["'self'"]);
    expect(csp["connect-src"]).toEqual(["'self'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["base-uri"]).toEqual(["'none'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(all["content-security-policy"]).not.toMatch(/unsafe-|\*|https?:/);
    expect(all["x-content-type-options"]).toBe("nosniff");
    expect(all["x-frame-options"]).toBe("DENY");
    expect(all["referrer-policy"]).toBe("no-referrer");
  });

  it("lets only the enrolment page use the camera, and no page the microphone or location", () => {
    expect(rules["/enrol/*"]!["permissions-policy"]).toBe("camera=(self), microphone=(), geolocation=()");
    expect(rules["/dashboard/*"]!["permissions-policy"]).toBe("camera=(), microphone=(), geolocation=()");
  });
});

describe("the pages obey their CSP", () => {
  const pages = ["public/index.html", ...["enrol", "dashboard"].flatMap((d) => readdirSync(join("public", d)).filter((f) => f.endsWith(".html")).map((f) => join("public", d, f)))];

  it.each(pages)("%s has no inline script, event handler or third-party resource", (page) => {
    const html = readFileSync(page, "utf8");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });
});
