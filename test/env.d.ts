// Secrets and settings the tests pass as bindings (vitest.config.ts), which `wrangler types` cannot see.
declare namespace Cloudflare {
  interface Env {
    JWT_SECRET: string;
    DATABASE_URL: string;
  }
}
