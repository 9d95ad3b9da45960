// Three projects: `workers` runs the Worker inside workerd (vitest-pool-workers) against a real local
// libSQL server with the real migrations; `node` runs plain logic and the Node-side scripts; `browser`
// drives the web pages in a real headless Chromium against the service as `npm start` runs it.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";

const INFERENCE_BUILD = resolve(".wrangler/inference-test");

/** The pre-built inference Worker's files, listed explicitly (Miniflare cannot follow ORT's dynamic imports). */
function inferenceModules() {
  const type = (f: string) => (f.endsWith(".wasm") ? "CompiledWasm" : f.endsWith(".onnx") ? "Data" : "ESModule");
  return readdirSync(INFERENCE_BUILD)
    .filter((f) => /\.(js|wasm|onnx)$/.test(f))
    .sort((a, b) => Number(b === "worker.js") - Number(a === "worker.js")) // the entry module first
    .map((f) => ({ type: type(f), path: join(INFERENCE_BUILD, f) }) as { type: "ESModule" | "CompiledWasm" | "Data"; path: string });
}

export const TEST_JWT_SECRET = "test-only-secret-0123456789abcdef0123456789abcdef";
// base64 of 32 bytes, test only.
export const TEST_PARTNER_SECRET_KEY_ENCRYPTION_KEY = "dGVzdC1vbmx5LXBhcnRuZXItc2VhbC1rZXktMzJieXQ=";
export const TEST_TEMPLATE_KEY = "test-only-template-key-0123456789abcdef0123456789";
export const TEST_EXPO_ACCESS_TOKEN = "test-only-expo-access-token";
// What test/support/fake-mail.ts accepts (FAKE_MAIL_TOKEN there).
const TEST_MAIL_TOKEN = "test-only-mail-server-token";

export default defineConfig({
  test: {
    // Request logs are shown only for failing tests.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                DATABASE_URL: inject("databaseUrl"),
                JWT_SECRET: TEST_JWT_SECRET,
                PARTNER_SECRET_KEY_ENCRYPTION_KEY: TEST_PARTNER_SECRET_KEY_ENCRYPTION_KEY,
                TEST_CALLBACK_RECEIVER_URL: inject("callbackReceiverUrl"),
                TEMPLATE_ENCRYPTION_KEY: TEST_TEMPLATE_KEY,
                EXPO_PUSH_URL: inject("expoPushUrl"),
                EXPO_ACCESS_TOKEN: TEST_EXPO_ACCESS_TOKEN,
                WALLET_RECEIPT_DELAY_SECONDS: "0",
                MAIL_API_URL: inject("mailUrl"),
                MAIL_API_TOKEN: TEST_MAIL_TOKEN,
                MAIL_FROM: "TRUSTID <no-reply@trustid.test>",
                // Tests run every request in one isolate, many at once on purpose (test/workers/concurrency): the
                // per-isolate load-shedding limits, sized for production, would turn those into 503s. The limits
                // themselves are tested with their own small values (test/workers/system/faults.test.ts).
                MAX_INFLIGHT_REQUESTS: "10000",
                MAX_INFLIGHT_INFERENCE: "1000",
                MAX_INFLIGHT_PASSWORD_HASHES: "1000",
                // Fuzz tests (test/workers/fuzz): FUZZ_RUNS scales the runs per property, FUZZ_SEED replays one.
                FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
                FUZZ_SEED: process.env.FUZZ_SEED ?? "",
              },
              // The face inference Worker, pre-built by test/inference-setup.ts: loaded once for the run
              // instead of shipping ORT and the models with every test file.
              workers: [
                {
                  name: "trustid-inference",
                  modulesRoot: INFERENCE_BUILD,
                  modules: inferenceModules(),
                  compatibilityDate: "2026-04-01",
                  compatibilityFlags: ["nodejs_compat"],
                },
              ],
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts", "test/inference-setup.ts", "test/signals-setup.ts"],
        },
      },
      {
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"] },
      },
      {
        // The web pages in Debian's Chromium (playwright-core) against the service started with `npm start`
        // (test/browser/global-setup.ts); real camera frames from a face picture through the real models.
        test: {
          name: "browser",
          environment: "node",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["test/browser/global-setup.ts"],
          fileParallelism: false, // one Chromium at a time beside the service on a small machine
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
