// Request overhead (issue 14): each endpoint's throughput through `npm start` as a share of a bare Hono
// Worker (bench/bare-hono) started through the same `wrangler dev`, side by side in one run. autocannon, 20
// connections, 10 s per endpoint; the bare Worker is measured first and last and the mean is the yardstick.
//
//   node bench/overhead.mjs [--duration 10] [--connections 20] [--only trustid_version,student_list_exam]
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { openSync } from "node:fs";
import { flags, loadEndpoints, provision, sleep, startService } from "./service.mjs";

const opt = flags();
const DURATION = Number(opt.duration ?? 10);
const CONNECTIONS = Number(opt.connections ?? 20);
const log = (...a) => console.error(...a);

const port = Number(process.env.PORT ?? 8831);
const dbPort = Number(process.env.DB_PORT ?? 8832);
const barePort = port + 10;

log("starting the bare Hono Worker and the service ...");
const bare = startBare(barePort);
const service = await startService({ port, dbPort, dataDir: process.env.DATA_DIR ?? "/tmp/overhead-data", log: "/tmp/overhead-bench-service.log" });
await waitFor(`http://127.0.0.1:${barePort}/`, 120_000);
try {
  const world = await provision(service.url, { students: 40, faceStudents: 2, log });
  const endpoints = { trustid_version: { method: "GET", path: "/backend/trustid_version" }, ...loadEndpoints(world, { faceStudents: 2 }) };
  const only = opt.only ? String(opt.only).split(",") : ["trustid_version", "student_list_exam", "instructor_list_exam", "monitoring", "login", "face_verify"];

  const bareFirst = await run(`http://127.0.0.1:${barePort}`, { method: "GET", path: "/" });
  const rows = [];
  for (const name of only) {
    await sleep(1000);
    rows.push({ name, ...(await run(service.url, endpoints[name])) });
    log(`  ${name}: ${rows.at(-1).rps.toFixed(0)} req/s`);
  }
  await sleep(1000);
  const bareLast = await run(`http://127.0.0.1:${barePort}`, { method: "GET", path: "/" });
  const yardstick = (bareFirst.rps + bareLast.rps) / 2;

  console.log(`\n| endpoint | req/s | p50 | p99 | non-2xx | share of bare Hono |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| bare Hono \`GET /\` | ${bareFirst.rps.toFixed(0)} / ${bareLast.rps.toFixed(0)} (first / last) | ${bareFirst.p50} ms | ${bareFirst.p99} ms | 0 | 1.00 |`);
  for (const r of rows) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.errors} | ${(r.rps / yardstick).toFixed(2)} |`);
  console.log(`\n${CONNECTIONS} connections, ${DURATION} s per row, one after the other in one run.`);
} finally {
  await service.stop();
  try {
    process.kill(-bare.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

function startBare(p) {
  const out = openSync("/tmp/overhead-bench-bare.log", "a");
  return spawn(
    process.execPath,
    [createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js"), "dev", "-c", "bench/bare-hono/wrangler.toml", "--ip", "127.0.0.1", "--port", String(p), "--show-interactive-dev-session=false"],
    { stdio: ["ignore", out, out], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
}

async function waitFor(url, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not come up`);
}

function run(url, endpoint) {
  return new Promise((resolve, reject) => {
    let errors = 0;
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: DURATION,
        requests: [{ method: endpoint.method, path: endpoint.path, ...(endpoint.setup ? { setupRequest: endpoint.setup } : {}), onResponse: (status) => (status >= 300 ? errors++ : 0) }],
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({ rps: result.requests.total / DURATION, p50: result.latency.p50, p99: result.latency.p99, errors });
      },
    );
  });
}
