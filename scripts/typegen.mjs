// Writes worker-configuration.d.ts (git-ignored) with `wrangler types` over both Workers' configs: the
// bindings of wrangler.toml and src/inference/wrangler.toml and the workerd runtime types. src/env.ts derives
// `Bindings` from it, so it must exist before type-checking: `npm test` and `npm run build` run this first.
// Regenerated only when missing or older than a config (or with --force); no network is needed.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const OUT = "worker-configuration.d.ts";
const CONFIGS = ["wrangler.toml", "src/inference/wrangler.toml"];

const stale = !existsSync(OUT) || process.argv.includes("--force") || CONFIGS.some((c) => statSync(c).mtimeMs > statSync(OUT).mtimeMs);
if (stale) {
  const quiet = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  // --strict-vars=false: vars are typed string (tests and .dev.vars set other values than wrangler.toml's).
  const args = ["wrangler", "types", "--strict-vars=false", ...CONFIGS.flatMap((c) => ["-c", c]), OUT];
  execFileSync("npx", args, { stdio: ["ignore", "ignore", "inherit"], env: quiet });
  console.log(`${OUT} generated (wrangler types)`);
}
