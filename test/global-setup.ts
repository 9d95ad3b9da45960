// Starts a real libSQL server on a fresh temporary file and applies migrations/ exactly as dev and
// deploy do; the Worker under test reaches it through DATABASE_URL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error: plain ESM scripts without type declarations
import { startLibsqlServer } from "../scripts/libsql-server.mjs";
// @ts-expect-error: plain ESM scripts without type declarations
import { migrateDatabase } from "../scripts/migrate.mjs";
import { startCallbackReceiver } from "./partner-receiver";

declare module "vitest" {
  interface ProvidedContext {
    databaseUrl: string;
    callbackReceiverUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "trustid-test-"));
  const server = await startLibsqlServer({ file: join(dir, "test.db") });
  await migrateDatabase(server.url);
  project.provide("databaseUrl", server.url);
  const receiver = await startCallbackReceiver(); // partner API callbacks (test/workers/partner)
  project.provide("callbackReceiverUrl", receiver.url);
  return async () => {
    await receiver.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
