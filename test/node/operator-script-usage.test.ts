// Operator scripts answer a mistyped option with what was wrong and how to call them, not a stack trace.
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";

const script = (name: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [`scripts/${name}.mjs`, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

describe("operator scripts on an unknown option", () => {
  for (const script of ["erase-student", "institution"]) {
    it(`${script}.mjs names the option, prints its usage and exits 2`, () => {
      const run = spawnSync(process.execPath, [`scripts/${script}.mjs`, "UCY", "--bogus"], { encoding: "utf8", env: { ...process.env, DATABASE_URL: "" } });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("Unknown option '--bogus'");
      expect(run.stderr).toContain(`Usage: DATABASE_URL=...`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

// Probe Q: each of these answered with an internal text (or none) instead of what to fix.
describe("operator scripts on a mistaken call", () => {
  const DATABASE_URL = "http://127.0.0.1:9"; // never reached: every call below is refused before the database is asked

  it("partner-credentials.mjs lists its commands on --help (exit 0), with no arguments and without --institution (exit 2)", () => {
    for (const [args, status] of [[["--help"], 0], [[], 2], [["list"], 2]] as const) {
      const run = script("partner-credentials", [...args], { DATABASE_URL });
      expect(run.status, args.join(" ")).toBe(status);
      expect(run.stdout + run.stderr, args.join(" ")).toMatch(/create \| rotate \| revoke-old \| list \| set-callback/);
    }
    expect(script("partner-credentials", ["list"], { DATABASE_URL }).stderr).toContain("Give --institution <code>.");
  });

  it("erase-student.mjs refuses --student-id without --status, and an id that is not a positive whole number", () => {
    const byId = script("erase-student", ["UCY", "--student-id", "4"], { DATABASE_URL });
    expect(byId.status).toBe(2);
    expect(byId.stderr).toContain("give the student's email");
    expect(byId.stderr).toContain("Usage: DATABASE_URL=...");
    for (const id of ["abc", "0", "-3", "1.5"]) {
      const run = script("erase-student", ["UCY", "--status", `--student-id=${id}`], { DATABASE_URL });
      expect(run.status, id).toBe(2);
      expect(run.stderr, id).toContain(`--student-id must be a student's id, a positive whole number, not "${id}"`);
      expect(run.stderr, id).toContain("Usage: DATABASE_URL=...");
    }
  });

  it("institution.mjs refuses --default-list with --no-default-list", () => {
    const run = script("institution", ["UCY", "--no-default-list", "--default-list"], { DATABASE_URL });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--default-list and --no-default-list exclude each other");
    expect(run.stderr).toContain("Usage: DATABASE_URL=...");
  });

  // Probe V: each applied one of two contradictory options and dropped the other, exit 0.
  it("institution.mjs refuses --clear-moodle with a new Moodle site, and a pattern both forbidden and allowed (either order)", () => {
    for (const [args, message] of [
      [["--moodle-url", "http://127.0.0.1:9", "--clear-moodle"], "--clear-moodle and --moodle-url exclude each other"],
      [["--clear-moodle", "--moodle-token", "t"], "--clear-moodle and --moodle-token exclude each other"],
      [["--forbid", "zoom*", "--allow", "zoom*"], '"zoom*" is given to both --forbid and --allow'],
      [["--allow", "Zoom*", "--forbid", "zoom*"], '"Zoom*" is given to both --forbid and --allow'],
    ] as const) {
      const run = script("institution", ["UCY", ...args], { DATABASE_URL, MOODLE_TOKEN: "t" });
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toContain(message);
      expect(run.stderr, args.join(" ")).toContain("Usage: DATABASE_URL=...");
    }
  });

  it("partner-credentials.mjs refuses --url with --clear, an option of another command, and a --url that is no URL", () => {
    for (const [args, message] of [
      [["set-callback", "--institution", "UCY", "--url", "https://lms.example.edu/cb", "--clear"], "--clear and --url exclude each other"],
      [["set-callback", "--institution", "UCY", "--clear", "--allow-http", "true"], "--clear and --allow-http exclude each other"],
      [["create", "--institution", "UCY", "--url", "https://lms.example.edu/cb"], "--url is not an option of create (it takes --institution)"],
      [["list", "--institution", "UCY", "--clear", "--bogus", "1"], "--clear, --bogus are not an option of list"],
      [["set-callback", "--institution", "UCY", "--url", "notaurl"], '--url "notaurl" is not a valid URL'],
    ] as const) {
      const run = script("partner-credentials", [...args], { DATABASE_URL });
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toContain(message);
      expect(run.stderr, args.join(" ")).toMatch(/create \| rotate \| revoke-old \| list \| set-callback/);
    }
  });
});

describe("operator scripts on a database that cannot be reached", () => {
  it("name the URL, the cause and what to check, not only \"fetch failed\"", async () => {
    // A port surely closed: bound, noted, released.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const env = { DATABASE_URL: `http://127.0.0.1:${port}`, PARTNER_SECRET_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") };
    for (const [name, args] of [
      ["institution", ["UCY", "--show"]],
      ["partner-credentials", ["list", "--institution", "UCY"]],
      ["erase-student", ["UCY", "someone@example.org"]],
    ] as const) {
      const run = script(name, [...args], env);
      expect(run.status, name).toBe(1);
      expect(run.stderr.trim(), name).toBe(
        `cannot reach the database at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (check DATABASE_URL and DATABASE_AUTH_TOKEN)`,
      );
    }
  });
});

// Probe X: a second value of an option, or a second institution or student, was taken or ignored silently.
describe("operator scripts given something twice", () => {
  const DATABASE_URL = "http://127.0.0.1:9"; // never reached: refused before the database is asked
  const cases: [string, string[], RegExp][] = [
    ["partner-credentials", ["set-callback", "--institution", "UPAT", "--institution", "UCY", "--clear"], /--institution is given more than once/],
    ["partner-credentials", ["set-callback", "--institution", "UCY", "--url", "https://a.example", "--url", "https://b.example"], /--url is given more than once/],
    ["institution", ["UPAT", "--time-zone", "Europe/Athens", "--time-zone", "UTC"], /--time-zone is given more than once/],
    ["institution", ["UPAT", "--security-level", "high", "--security-level", "standard"], /--security-level is given more than once/],
    ["institution", ["UPAT", "UCY", "--show"], /One institution at a time/],
    ["erase-student", ["UCY", "a@example.org", "b@example.org"], /One student at a time/],
    ["erase-student", ["UCY", "--status", "--student-id", "1", "--student-id", "2"], /--student-id is given more than once/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}.mjs ${args.join(" ")}: refused, exit 2`, () => {
      const run = script(name, args, { DATABASE_URL });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(message);
    });
  }
});
