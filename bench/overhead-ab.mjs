// CPU per request of two checkouts of the service side by side (issue 14 part 1): A/B of a change when other
// jobs share the machine. bench/overhead.mjs measures one service after another, so a change of the machine's
// load between its rows (other jobs starting) moves CPU per request by more than a change to the code does; here
// both services run at once and each endpoint is driven in short alternating bursts (A B, then B A, ...), so
// both see the same load. Server CPU per request as in overhead.mjs: user + system time of each service's whole
// process tree (workerd, wrangler's Node, the local libSQL server), from /proc.
//
// Each directory is a full checkout with node_modules (a symlink is fine; keep its package-lock.json older than
// node_modules/.package-lock.json, or `npm start` runs `npm ci` there). Run from a checkout whose ../shared/data
// holds the face pictures (bench/service.mjs's provisioning reads them):
//
//   node bench/overhead-ab.mjs --a /path/to/before --b /path/to/after [--rounds 6] [--seconds 4] [--connections 20]
//        [--only trustid_version,student_list_exam,instructor_list_exam,monitoring] [--env-b NAME=VALUE,...]
// --env-b sets variables for B's `npm start` only: one checkout against itself with a setting changed, e.g.
// `--a . --b . --env-b RATE_LIMIT_MONITORING_PER_MINUTE=0` (each service has its own ports and DATA_DIR).
import { spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { driveWithCpu } from "./server-cpu.mjs";
import { flags, loadEndpoints, provision, sleep, waitUntilUp } from "./service.mjs";

const opt = flags();
const ROUNDS = Number(opt.rounds ?? 6);
const SECONDS = Number(opt.seconds ?? 4);
const CONNECTIONS = Number(opt.connections ?? 20);
const only = String(opt.only ?? "trustid_version,student_list_exam,instructor_list_exam,monitoring").split(",");
const log = (...a) => console.error(...a);
if (!opt.a || !opt.b) throw new Error("--a DIR and --b DIR (two checkouts) are required");

const basePort = Number(process.env.PORT ?? 8961);
const variants = [
  { name: "A", dir: String(opt.a), port: basePort, dbPort: basePort + 1 },
  { name: "B", dir: String(opt.b), port: basePort + 2, dbPort: basePort + 3, env: Object.fromEntries(String(opt["env-b"] ?? "").split(",").filter(Boolean).map((kv) => kv.split("="))) },
];
try {
  for (const v of variants) {
    // One after the other: two `wrangler dev` starting at once both pick the free inspector port (9229).
    v.service = start(v);
    await waitUntilUp(`http://127.0.0.1:${v.port}`, 240_000);
    const world = await provision(`http://127.0.0.1:${v.port}`, { students: 40, faceStudents: 0, log });
    v.endpoints = { trustid_version: { method: "GET", path: "/backend/trustid_version" }, ...loadEndpoints(world, { faceStudents: 0 }) };
    v.totals = Object.fromEntries(only.map((e) => [e, { requests: 0, errors: 0, all: 0, workerd: 0, rounds: [] }]));
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const e of only) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        const m = await run(`http://127.0.0.1:${v.port}`, v.endpoints[e], v.service.pid);
        const t = v.totals[e];
        t.requests += m.requests;
        t.errors += m.errors;
        t.all += m.all;
        t.workerd += m.workerd;
        t.rounds.push(m.workerd / Math.max(1, m.requests));
        await sleep(300);
      }
    }
    log(`  round ${r + 1}/${ROUNDS} done, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  }
  const [a, b] = variants;
  console.log(`\nA = ${a.dir}\nB = ${b.dir}${opt["env-b"] ? ` with ${opt["env-b"]}` : ""}\n`);
  console.log("| endpoint | requests A / B | non-2xx A / B | CPU per request A (workerd) | CPU per request B (workerd) | B / A (all) | workerd per round, A | workerd per round, B |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const e of only) {
    const ta = a.totals[e];
    const tb = b.totals[e];
    const per = (t, k) => t[k] / Math.max(1, t.requests);
    const rounds = (t) => t.rounds.map((x) => x.toFixed(2)).join(" ");
    console.log(
      `| ${e} | ${ta.requests} / ${tb.requests} | ${ta.errors} / ${tb.errors} | ${per(ta, "all").toFixed(2)} ms (${per(ta, "workerd").toFixed(2)}) | ${per(tb, "all").toFixed(2)} ms (${per(tb, "workerd").toFixed(2)}) | ${(per(tb, "all") / per(ta, "all")).toFixed(2)} | ${rounds(ta)} | ${rounds(tb)} |`,
    );
  }
  console.log(`\n${ROUNDS} rounds of ${SECONDS} s bursts per endpoint and checkout, ${CONNECTIONS} connections, alternating; load average at the end ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`);
} finally {
  for (const v of variants) {
    try {
      if (v.service) process.kill(-v.service.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

function start(v) {
  const out = openSync(`/tmp/overhead-ab-${v.name}.log`, "a");
  return spawn("npm", ["start"], {
    cwd: v.dir,
    env: {
      ...process.env,
      PORT: String(v.port),
      DB_PORT: String(v.dbPort),
      DATA_DIR: `/tmp/overhead-ab-data-${v.name}-${Date.now()}`,
      // As in overhead.mjs: the limit is checked on every report but never refuses one.
      RATE_LIMIT_MONITORING_PER_MINUTE: process.env.RATE_LIMIT_MONITORING_PER_MINUTE ?? "100000",
      ...v.env,
    },
    stdio: ["ignore", out, out],
    detached: true,
  });
}

async function run(url, endpoint, serverPid) {
  const { result, errors, cpu } = await driveWithCpu(url, endpoint, serverPid, { connections: CONNECTIONS, seconds: SECONDS });
  return { requests: result.requests.total, errors, all: cpu.all, workerd: cpu.workerd };
}
