// The browser project's setup: makes sure Debian's Chromium is there (installs it as root, else fails
// loudly), then starts the whole service the README way (`npm start` on free ports) once for both browser
// test files, and stops it after the run.
import type { TestProject } from "vitest/node";
import { ensureChromium } from "./support/chromium";
import { startService } from "./support/service";

export const RESULTS_DIR = "test-results/browser";

declare module "vitest" {
  interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  ensureChromium();
  const service = await startService(RESULTS_DIR);
  project.provide("baseUrl", service.baseUrl);
  return async () => {
    await service.stop();
  };
}
