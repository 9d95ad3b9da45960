// A vitest reporter that appends one JSON line per event to TEST_PROGRESS_FILE: the files planned, each file
// started and each file ended with its state. scripts/test.mjs reads it to tell a test run that is working from one
// that has stopped (an upstream vitest-pool-workers stall between files), and which files then still have to run.
// Without TEST_PROGRESS_FILE it does nothing, so a plain `npx vitest` is unchanged.
import { appendFileSync } from "node:fs";
import type { Reporter, TestModule, TestSpecification } from "vitest/node";

const file = process.env.TEST_PROGRESS_FILE;
const write = (event: Record<string, unknown>) => {
  if (file) appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...event })}\n`);
};

export default class ProgressReporter implements Reporter {
  onTestRunStart(specifications: ReadonlyArray<TestSpecification>) {
    write({ event: "planned", files: [...new Set(specifications.map((s) => s.moduleId))] });
  }

  onTestModuleStart(module: TestModule) {
    write({ event: "started", file: module.moduleId });
  }

  onTestModuleEnd(module: TestModule) {
    write({ event: "ended", file: module.moduleId, state: module.state() });
  }

  // Every test's end is progress too (a file with many slow tests is not stalled).
  onTestCaseResult() {
    write({ event: "test" });
  }
}
