// Starts a real libSQL server on a fresh temporary file and applies migrations/ exactly as dev and
// deploy do; the Worker under test reaches it through DATABASE_URL. Also starts a fake Moodle site
// (test/support/fake-moodle.ts) that tests reach at the provided `moodleUrl`, and a fake Expo push
// service (test/support/fake-expo.ts) that the Worker reaches through EXPO_PUSH_URL, and a fake mail API
// (test/support/fake-mail.ts) reached through MAIL_API_URL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startFakeMoodle } from "./support/fake-moodle";
// @ts-expect-error: plain ESM scripts without type declarations
import { startLibsqlServer } from "../scripts/libsql-server.mjs";
// @ts-expect-error: plain ESM scripts without type declarations
import { migrateDatabase } from "../scripts/migrate.mjs";
import { startCallbackReceiver } from "./support/partner-receiver";
import { startFakeExpo } from "./support/fake-expo";
import { startFakeMail } from "./support/fake-mail";
import { startStalledServer } from "./support/stalled-server";

declare module "vitest" {
  interface ProvidedContext {
    databaseUrl: string;
    moodleUrl: string;
    callbackReceiverUrl: string;
    expoPushUrl: string;
    mailUrl: string;
    stalledUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "trustid-test-"));
  const server = await startLibsqlServer({ file: join(dir, "test.db") });
  await migrateDatabase(server.url);
  project.provide("databaseUrl", server.url);
  const moodle = await startFakeMoodle();
  project.provide("moodleUrl", moodle.url);
  const receiver = await startCallbackReceiver(); // partner API callbacks (test/workers/partner)
  project.provide("callbackReceiverUrl", receiver.url);
  const expo = await startFakeExpo(); // Expo push service (test/workers/wallet)
  project.provide("expoPushUrl", expo.url);
  const mail = await startFakeMail(); // transactional mail API (invitations, test/workers/auth/invitations.test.ts)
  project.provide("mailUrl", mail.url);
  const stalled = await startStalledServer(); // a dependency that never answers (test/workers/system/overload.test.ts)
  project.provide("stalledUrl", stalled.url);
  return async () => {
    await stalled.close();
    await moodle.close();
    await receiver.close();
    await expo.close();
    await mail.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
