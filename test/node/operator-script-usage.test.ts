// Operator scripts answer a mistyped option with what was wrong and how to call them, not a stack trace.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

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
