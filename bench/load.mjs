// Load benchmark (issue 8): drives login, exam lists, /monitoring/ ingestion, face verification and partner
// API reads with autocannon, each alone and all together, then far beyond capacity, and prints markdown
// tables (requests/s, p50/p95/p99 latency, 2xx/4xx/5xx/timeouts per endpoint). BENCHMARKS.md "Load".
//
//   node bench/load.mjs                          starts `npm start` itself (PORT 8811, DB_PORT 8812, DATA_DIR /tmp/load-data)
//   node bench/load.mjs --url http://127.0.0.1:8787 --db-url http://127.0.0.1:8080   against a running service
// Options: --duration 15 (s per scenario)  --connections 8 (per single-endpoint scenario)  --students 300
//          --face-students 12  --mixed-connections 20  --overload-connections 400  --only login,monitoring,...
//          --skip-single  --skip-overload
import autocannon from "autocannon";
import { flags, loadEndpoints, partnerCredentials, percentile, provision, sleep, startService, waitUntilUp } from "./service.mjs";

const opt = flags();
const DURATION = Number(opt.duration ?? 15);
const CONNECTIONS = Number(opt.connections ?? 8);
const STUDENTS = Number(opt.students ?? 300);
const FACE_STUDENTS = Number(opt["face-students"] ?? 12);
const OVERLOAD = Number(opt["overload-connections"] ?? 400);
const TIMEOUT_S = 10; // a request unanswered after this counts as a timeout (a "hang")
const log = (...a) => console.error(...a); // progress on stderr, tables on stdout
const badSamples = []; // a few 5xx/429 answers without Retry-After or outside the envelope, to say what they were

let service = null;
let base = opt.url;
let dbUrl = opt["db-url"];
if (!base) {
  const port = Number(process.env.PORT ?? 8811);
  const dbPort = Number(process.env.DB_PORT ?? 8812);
  log(`starting the service (npm start, PORT=${port} DB_PORT=${dbPort} DATA_DIR=${process.env.DATA_DIR ?? "/tmp/load-data"}) ...`);
  service = await startService({ port, dbPort, dataDir: process.env.DATA_DIR ?? "/tmp/load-data", log: "/tmp/load-bench-service.log" });
  base = service.url;
  dbUrl = service.dbUrl;
}
dbUrl ??= "http://127.0.0.1:8812";
const { hostname, port } = new URL(base);

try {
  log("provisioning through the public API ...");
  const world = await provision(base, { students: STUDENTS, faceStudents: FACE_STUDENTS, log });
  const partner = partnerCredentials(dbUrl);
  log(`  exam ${world.examId}, partner credentials created`);

  const endpoints = loadEndpoints(world, { partner, faceStudents: FACE_STUDENTS });
  const only = opt.only ? String(opt.only).split(",") : Object.keys(endpoints);

  const single = [];
  for (const name of opt["skip-single"] ? [] : only) {
    log(`scenario ${name}: ${CONNECTIONS} connections, ${DURATION} s`);
    single.push(await run([{ name, endpoint: endpoints[name], connections: CONNECTIONS }]));
    await sleep(2000);
  }
  if (single.length) print(`Single endpoint, ${CONNECTIONS} connections, ${DURATION} s each`, single.flat());

  // The exam minute: most traffic is monitoring reports, then lists, then logins, face checks, partner reads.
  const mix = (total) => {
    const share = { monitoring: 0.4, student_list_exam: 0.2, login: 0.1, face_verify: 0.1, instructor_list_exam: 0.05, partner_sessions: 0.1, partner_exam: 0.05 };
    return Object.entries(share)
      .filter(([name]) => only.includes(name))
      .map(([name, s]) => ({ name, endpoint: endpoints[name], connections: Math.max(1, Math.round(total * s)) }));
  };
  const mixedConnections = Number(opt["mixed-connections"] ?? 20);
  log(`scenario mixed: ${mixedConnections} connections, ${DURATION} s`);
  print(`Mixed (the exam minute), ${mixedConnections} connections in all, ${DURATION} s`, await run(mix(mixedConnections)));

  if (!opt["skip-overload"]) {
    await sleep(3000);
    log(`scenario overload: ${OVERLOAD} connections, ${DURATION} s`);
    const rows = await run(mix(OVERLOAD));
    print(`Beyond capacity: mixed, ${OVERLOAD} connections, ${DURATION} s`, rows);
    const shedWithoutRetryAfter = rows.reduce((n, r) => n + r.shedWithoutRetryAfter, 0);
    const fiveHundreds = rows.reduce((n, r) => n + (r.codes["500"] ?? 0), 0);
    const t0 = Date.now();
    const upMs = await waitUntilUp(base, 30_000);
    const after = await fetch(`${base}/backend/student/list_exam`, { headers: { authorization: `Bearer ${world.students[0].token}` } });
    console.log(
      `\nAfter the overload: trustid_version answered in ${upMs} ms (${Date.now() - t0} ms incl. the check), a student's list_exam ${after.status}; ` +
        `429/503 without Retry-After or outside the error envelope: ${shedWithoutRetryAfter}; HTTP 500: ${fiveHundreds}.`,
    );
    for (const b of badSamples) console.log(`  e.g. ${b}`);
  }
} finally {
  await service?.stop();
}

// ---------------------------------------------------------------------------------------------

/** Runs autocannon instances at once (one per endpoint); per-endpoint latency percentiles and status counts. */
async function run(parts) {
  return Promise.all(
    parts.map(
      ({ name, endpoint, connections }) =>
        new Promise((resolve, reject) => {
          const latencies = [];
          const codes = {};
          let shedWithoutRetryAfter = 0;
          const inst = autocannon(
            {
              url: `http://${hostname}:${port}`,
              connections,
              duration: DURATION,
              timeout: TIMEOUT_S,
              requests: [
                {
                  method: endpoint.method,
                  path: endpoint.path,
                  setupRequest: endpoint.setup,
                  onResponse: (status, body, _ctx, headers) => {
                    codes[status] = (codes[status] ?? 0) + 1;
                    if (status === 429 || status === 503 || status >= 500) {
                      const retryAfter = Object.entries(headers).find(([k]) => k.toLowerCase() === "retry-after")?.[1];
                      if (!(Number(retryAfter) >= 1) || !inEnvelope(endpoint, body)) {
                        shedWithoutRetryAfter++;
                        if (badSamples.length < 5) badSamples.push(`${name} ${status} retry-after=${retryAfter} ${String(body).slice(0, 160)}`);
                      }
                    }
                  },
                },
              ],
            },
            (err, result) => {
              if (err) return reject(err);
              latencies.sort((a, b) => a - b);
              const n = latencies.length;
              resolve({
                name,
                connections,
                rps: n / DURATION,
                p50: percentile(latencies, 50),
                p95: percentile(latencies, 95),
                p99: percentile(latencies, 99),
                max: latencies[n - 1] ?? NaN,
                c2xx: result["2xx"],
                c4xx: result["4xx"],
                c5xx: result["5xx"],
                timeouts: result.timeouts,
                errors: result.errors - result.timeouts,
                codes,
                shedWithoutRetryAfter,
              });
            },
          );
          inst.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
        }),
    ),
  );
}

/** The documented error body: TRUSTID `{message, ...}`, the partner API `{error}`. */
function inEnvelope(endpoint, body) {
  try {
    const json = JSON.parse(body);
    return typeof (endpoint.path.startsWith("/api/v3") ? json.error : json.message) === "string";
  } catch {
    return false;
  }
}

function print(title, rows) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 1 : 0) : "-");
  const detail = (r) =>
    Object.entries(r.codes)
      .filter(([c]) => !c.startsWith("2"))
      .map(([c, n]) => `${c}: ${n}`)
      .join(", ");
  console.log(`\n#### ${title}\n`);
  console.log("| endpoint | conns | req/s | p50 ms | p95 ms | p99 ms | max ms | 2xx | 4xx | 5xx | timeouts | other errors | non-2xx by status |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.connections} | ${f(r.rps)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.max)} | ${r.c2xx} | ${r.c4xx} | ${r.c5xx} | ${r.timeouts} | ${r.errors} | ${detail(r)} |`);
  }
}
