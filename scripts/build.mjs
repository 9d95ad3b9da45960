// `npm run build`: the production bundles exactly as `wrangler deploy` would upload them (dry run, no
// account needed): the API Worker and the face inference Worker it calls by RPC, with their sizes raw
// and gzipped, against the Workers limits.
import { execSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const quiet = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const mib = (n) => (n / 1024 / 1024).toFixed(2);

function build(name, config, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  execSync(`npx wrangler deploy --dry-run -c ${config} --outdir ${resolve(outdir)}`, { stdio: "inherit", env: quiet });
  let raw = 0;
  let gzip = 0;
  for (const f of readdirSync(outdir, { recursive: true }).map(String)) {
    const path = join(outdir, f);
    if (!statSync(path).isFile() || f.endsWith(".map") || f === "README.md") continue;
    const bytes = readFileSync(path);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { name, raw, gzip };
}

const results = [build("API Worker (trustid-edge)", "wrangler.toml", "dist/api"), build("inference Worker (trustid-inference)", "src/inference/wrangler.toml", "dist/inference")];
console.log("\nProduction bundles (limit: 64 MiB per Worker on the paid plan; 3 MiB gzip on the free plan):");
for (const r of results) console.log(`  ${r.name}: ${mib(r.raw)} MiB raw, ${mib(r.gzip)} MiB gzip`);
