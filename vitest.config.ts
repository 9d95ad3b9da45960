// Two projects: `workers` runs the Worker inside workerd (vitest-pool-workers) against a real local
// libSQL server with the real migrations; `node` runs plain logic and the Node-side scripts.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export const TEST_JWT_SECRET = "test-only-secret-0123456789abcdef0123456789abcdef";
// base64 of 32 bytes, test only.
export const TEST_PARTNER_SECRET_KEY_ENCRYPTION_KEY = "dGVzdC1vbmx5LXBhcnRuZXItc2VhbC1rZXktMzJieXQ=";

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
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"] },
      },
    ],
  },
});
