// Request overhead (issue 14): each endpoint's throughput through `npm start` as a share of a bare Hono
// Worker (bench/bare-hono) started through the same `wrangler dev`, side by side in one run. autocannon, 20
// connections, 10 s per endpoint; the bare Worker is measured first and last and the mean is the yardstick.
// Also the server's CPU time per request (user + system time of every process the server runs: workerd,
// and wrangler's own Node process), read from /proc: unlike req/s it hardly moves when other jobs share the
// machine, so the CPU share (bare CPU per request / the endpoint's) is the figure to compare across runs.
// A second bare Worker serves the service's static-asset routing (`[assets]` with run_worker_first, as in
// wrangler.toml): the part of the gap that is the platform's routing hop, not this code.
// Two more rows are floors rather than endpoints: the bare Worker making one raw Hrana request to the service's
// local libSQL server with fetch, and one `SELECT 1` through @libsql/client/web (the client the service uses).
// No handler that reads the database once can cost less than them; compare their workerd CPU with the
// service's (the libSQL server's own CPU is in the service's process tree, not the bare Worker's).
// The service runs with RATE_LIMIT_MONITORING_PER_MINUTE=100000 (unless set): at the default 60 a minute per
// student, 40 students allow about 2,400 reports in 10 s, and beyond that the row measured mostly cheap 429s. The
// limit is still checked on every report (the same Durable Object call), it only never refuses.
//
//   node bench/overhead.mjs [--duration 10] [--connections 20] [--only trustid_version,student_list_exam]
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { openSync, readFileSync } from "node:fs";
import { driveWithCpu } from "./server-cpu.mjs";
import { flags, loadEndpoints, provision, sleep, startService } from "./service.mjs";

const opt = flags();
const DURATION = Number(opt.duration ?? 10);
const CONNECTIONS = Number(opt.connections ?? 20);
const log = (...a) => console.error(...a);

const port = Number(process.env.PORT ?? 8831);
const dbPort = Number(process.env.DB_PORT ?? 8832);
const barePort = port + 10;

log("starting the bare Hono Workers and the service ...");
const dbUrl = `http://127.0.0.1:${dbPort}`;
const bare = startBare(barePort, "bench/bare-hono/wrangler.toml");
const bareAssets = startBare(barePort + 1, "bench/bare-hono/wrangler-assets.toml");
process.env.RATE_LIMIT_MONITORING_PER_MINUTE ??= "100000";
const service = await startService({ port, dbPort, dataDir: process.env.DATA_DIR ?? "/tmp/overhead-data", log: "/tmp/overhead-bench-service.log" });
await waitFor(`http://127.0.0.1:${barePort}/`, 120_000);
await waitFor(`http://127.0.0.1:${barePort + 1}/backend/bare`, 120_000);
const bareUrl = `http://127.0.0.1:${barePort}`;
const bareRequest = { method: "GET", path: "/backend/bare" };
try {
  const world = await provision(service.url, { students: 40, faceStudents: 2, log });
  const endpoints = { trustid_version: { method: "GET", path: "/backend/trustid_version" }, ...loadEndpoints(world, { faceStudents: 2 }) };
  const only = opt.only ? String(opt.only).split(",") : ["trustid_version", "student_list_exam", "instructor_list_exam", "monitoring", "login", "face_verify"];

  const bareFirst = await run(bareUrl, bareRequest, bare.pid);
  const rows = [];
  await sleep(1000);
  rows.push({ name: "bare Hono with the service's static-asset routing", ...(await run(`http://127.0.0.1:${barePort + 1}`, bareRequest, bareAssets.pid)) });
  for (const [name, path] of [["floor: bare Hono + one raw Hrana fetch", "/backend/bare-fetch"], ["floor: bare Hono + @libsql/client `SELECT 1`", "/backend/bare-libsql"]]) {
    await sleep(1000);
    rows.push({ name, ...(await run(bareUrl, { method: "GET", path }, bare.pid)) });
  }
  for (const name of only) {
    await sleep(1000);
    rows.push({ name, ...(await run(service.url, endpoints[name], service.pid)) });
    log(`  ${name}: ${rows.at(-1).rps.toFixed(0)} req/s`);
  }
  await sleep(1000);
  const bareLast = await run(bareUrl, bareRequest, bare.pid);
  const yardstick = (bareFirst.rps + bareLast.rps) / 2;
  const cpuYardstick = (bareFirst.cpu.all + bareLast.cpu.all) / 2;

  const cpu = (r) => `${r.cpu.all.toFixed(2)} ms (workerd ${r.cpu.workerd.toFixed(2)})`;
  console.log(`\n| endpoint | req/s | p50 | p99 | non-2xx | share of bare Hono | server CPU per request | CPU share |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  console.log(`| bare Hono \`GET /backend/bare\` | ${bareFirst.rps.toFixed(0)} / ${bareLast.rps.toFixed(0)} (first / last) | ${bareFirst.p50} ms | ${bareFirst.p99} ms | 0 | 1.00 | ${cpu(bareFirst)} / ${cpu(bareLast)} | 1.00 |`);
  for (const r of rows) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.errors} | ${(r.rps / yardstick).toFixed(2)} | ${cpu(r)} | ${(cpuYardstick / r.cpu.all).toFixed(2)} |`);
  console.log(`\n${CONNECTIONS} connections, ${DURATION} s per row, one after the other in one run; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`);
} finally {
  await service.stop();
  for (const b of [bare, bareAssets]) {
    try {
      process.kill(-b.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

function startBare(p, config) {
  const out = openSync("/tmp/overhead-bench-bare.log", "a");
  return spawn(
    process.execPath,
    [createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js"), "dev", "-c", config, "--var", `DB_URL:${dbUrl}`, "--ip", "127.0.0.1", "--port", String(p), "--inspector-port", String(p + 100), "--show-interactive-dev-session=false"],
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

async function run(url, endpoint, serverPid) {
  const { result, errors, cpu } = await driveWithCpu(url, endpoint, serverPid, { connections: CONNECTIONS, seconds: DURATION });
  const perRequest = (k) => cpu[k] / Math.max(1, result.requests.total);
  return { rps: result.requests.total / DURATION, p50: result.latency.p50, p99: result.latency.p99, errors, cpu: { all: perRequest("all"), workerd: perRequest("workerd") } };
}
