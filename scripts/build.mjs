// `npm run build`: the production bundle exactly as `wrangler deploy` would upload it (dry run, no
// account needed), and its size raw and gzipped, against the Workers limits.
import { execSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

rmSync("dist", { recursive: true, force: true });
execSync("npx wrangler deploy --dry-run --outdir dist", {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
});

const files = readdirSync("dist", { recursive: true })
  .map(String)
  .filter((f) => statSync(join("dist", f)).isFile() && !f.endsWith(".map"));
let raw = 0;
let gzip = 0;
for (const f of files) {
  const bytes = readFileSync(join("dist", f));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
  console.log(`  ${f}: ${(bytes.length / 1024).toFixed(1)} KiB`);
}
const mib = (n) => (n / 1024 / 1024).toFixed(2);
console.log(`Worker bundle: ${mib(raw)} MiB raw, ${mib(gzip)} MiB gzip (limit on the paid plan: 64 MiB; free plan: 3 MiB gzip)`);
