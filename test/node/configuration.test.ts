// A wrong setting is a 503 whose log line names the setting as README's table does and says what is wrong, never
// its value (found by a black-box probe: a non-base64 partner key made every endpoint a 500, and log lines named
// internal paths such as `jwtSecret` without a reason).
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/env";
import { AppError } from "../../src/lib/errors";

const base = { DATABASE_URL: "http://127.0.0.1:1", JWT_SECRET: "x".repeat(32), ENVIRONMENT: "test" };

function logged(env: Record<string, string>): { error: unknown; lines: string[] } {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  spy.mockClear();
  let error: unknown = null;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  const lines = spy.mock.calls.map((c) => String(c[0]));
  return { error, lines };
}

afterEach(() => vi.restoreAllMocks());

describe("configuration problems", () => {
  it("a partner key that is not base64 is a 503 naming the setting, not a 500", () => {
    const value = "this is not base64 at all!!";
    const { error, lines } = logged({ ...base, PARTNER_SECRET_KEY_ENCRYPTION_KEY: value });
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 503 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "invalid configuration", problems: expect.arrayContaining([{ setting: "PARTNER_SECRET_KEY_ENCRYPTION_KEY", problem: "must be a valid base64" }]) });
    expect(lines.join("\n")).not.toContain(value);
  });

  it("names the setting as the operator sets it, and says whether it is missing or what rule it breaks", () => {
    const { JWT_SECRET: _, ...withoutJwt } = base;
    expect(JSON.parse(logged(withoutJwt).lines[0]!).problems).toEqual([{ setting: "JWT_SECRET", problem: "missing" }]);
    const short = "short secret";
    const { lines } = logged({ ...base, JWT_SECRET: short, DECISION_RETENTION_DAYS: "0", ACCESS_LOG: "sometimes" });
    expect(JSON.parse(lines[0]!).problems).toEqual([
      { setting: "JWT_SECRET", problem: "must be at least 32 characters" },
      { setting: "DECISION_RETENTION_DAYS", problem: "must be at least 1" },
      { setting: "ACCESS_LOG", problem: "must be one of errors, all" },
    ]);
    expect(lines.join("\n")).not.toContain(short);
    expect(lines.join("\n")).not.toContain("sometimes");
  });

  it("a mail sender set in part names what is missing (a probe: a forgotten MAIL_API_TOKEN silently sent no mail)", () => {
    const rule = "must be set: mail is sent only when MAIL_API_URL, MAIL_API_TOKEN and MAIL_FROM are all set (unset all three for no mail)";
    const { error, lines } = logged({ ...base, MAIL_API_URL: "https://api.postmarkapp.com" });
    expect(error).toMatchObject({ status: 503 });
    expect(JSON.parse(lines[0]!).problems).toEqual([
      { setting: "MAIL_API_TOKEN", problem: rule },
      { setting: "MAIL_FROM", problem: rule },
    ]);
    expect(logged({ ...base, MAIL_API_URL: "https://api.postmarkapp.com", MAIL_API_TOKEN: "t", MAIL_FROM: "a@b.c" }).error).toBeNull();
    expect(logged(base).error).toBeNull();
  });
});
