// Edge distance (issue 14): how many database round trips each endpoint makes, and its median latency with
// the database 0, 40 and 80 ms away (one way), as a Turso primary is from near and far edge locations.
// Starts `npm start` itself with DB_LATENCY_MS=0 (the delaying proxy, scripts/db-latency-proxy.mjs, counts
// round trips) and changes the delay through the proxy's control endpoint between rounds.
//
//   node bench/edge.mjs [--runs 9] [--latencies 0,40,80] [--only login,student_list_exam]
// Requests are sequential (one at a time), so each one's round trips are counted exactly: the count waits for
// the database to be quiet before and after each request, so it includes the request's own background work
// (waitUntil) and not an earlier one's. Only `npm start`'s per-minute scheduled run can still fall into a count.
import { api, flags, partnerCredentials, partnerHeaders, percentile, provision, signedPartnerPath, sleep, startService } from "./service.mjs";

const opt = flags();
const RUNS = Number(opt.runs ?? 9);
const LATENCIES = String(opt.latencies ?? "0,40,80").split(",").map(Number);
const log = (...a) => console.error(...a);

const port = Number(process.env.PORT ?? 8821);
const dbPort = Number(process.env.DB_PORT ?? 8822);
const proxyPort = dbPort + 1;
process.env.DB_LATENCY_MS = "0";
process.env.DB_PROXY_PORT = String(proxyPort);
const proxy = `http://127.0.0.1:${proxyPort}/__proxy`;
const setProxy = async (query) => (await fetch(`${proxy}?${query}`, { method: "POST" })).json();

log(`starting the service (npm start, PORT=${port}, DB_PORT=${dbPort}, latency proxy on ${proxyPort}) ...`);
const service = await startService({ port, dbPort, dataDir: process.env.DATA_DIR ?? "/tmp/edge-data", log: "/tmp/edge-bench-service.log" });
const base = service.url;
let partner;
try {
  log("provisioning through the public API ...");
  // Logins rotate over the students: the per-account login limit (docs/limits.md) allows 10 in 10 s.
  const world = await provision(base, { students: 12, faceStudents: 1, log });
  partner = partnerCredentials(service.dbUrl);
  const endpoints = defineEndpoints(world);
  const only = opt.only ? String(opt.only).split(",") : Object.keys(endpoints);

  const rows = [];
  for (const name of only) {
    const e = endpoints[name];
    const row = { name, kind: e.kind, trips: [], p50: {} };
    for (const latency of LATENCIES) {
      await setProxy(`latency_ms=${latency}`);
      await e.call(await e.prepare?.()); // warm: isolate, model sessions, caches
      const times = [];
      for (let i = 0; i < RUNS; i++) {
        const prepared = await e.prepare?.(); // what the request needs, made before it is timed and counted
        await quiet(); // earlier requests' background work (waitUntil) is not this one's
        await setProxy("reset=1");
        const t0 = performance.now();
        const r = await e.call(prepared);
        times.push(performance.now() - t0);
        if (r.status >= 400) throw new Error(`${name}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        await quiet(); // this request's own background work (e.g. partner callbacks) is counted with it
        const stats = await (await fetch(proxy)).json();
        if (latency === LATENCIES[0]) row.trips.push(stats.total);
      }
      times.sort((a, b) => a - b);
      row.p50[latency] = percentile(times, 50);
      await sleep(50);
    }
    rows.push(row);
    log(`  ${name}: round trips ${summary(row.trips)}, p50 ${LATENCIES.map((l) => `${l} ms: ${row.p50[l].toFixed(0)}`).join(", ")}`);
  }

  console.log(`\n| endpoint | kind | DB round trips | ${LATENCIES.map((l) => `p50 at ${l} ms one way`).join(" | ")} |`);
  console.log(`|---|---|---|${LATENCIES.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.name} | ${r.kind} | ${summary(r.trips)} | ${LATENCIES.map((l) => `${r.p50[l].toFixed(0)} ms`).join(" | ")} |`);
  console.log(`\n${RUNS} sequential requests per cell after one warm-up; round trips counted at ${LATENCIES[0]} ms by the proxy (min-max over the runs).`);
} finally {
  await service.stop();
}

/** Waits until the proxy has seen no database request for 300 ms (at most 5 s). */
async function quiet() {
  let last = -1;
  for (let i = 0; i < 17; i++) {
    const { total } = await (await fetch(proxy)).json();
    if (total === last) return;
    last = total;
    await sleep(300);
  }
}

function summary(trips) {
  const lo = Math.min(...trips);
  const hi = Math.max(...trips);
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

function defineEndpoints(world) {
  const { students, instructor, examId, faceImage } = world;
  const s = students[0];
  let turn = 0;
  const nextLoginStudent = () => students[1 + (turn++ % (students.length - 1))];
  const t = (who) => ({ token: who.token });
  return {
    trustid_version: { kind: "read", call: () => api(base, "/trustid_version") },
    server_status: { kind: "read", call: () => api(base, "/biometrics/server_status", t(s)) },
    student_list_exam: { kind: "read", call: () => api(base, "/student/list_exam", t(s)) },
    check_verification_status: { kind: "read", call: () => api(base, "/student/check_verification_status", { ...t(s), json: { exam_id: examId } }) },
    instructor_list_exam: { kind: "read", call: () => api(base, "/instructor/list_exam", t(instructor)) },
    biometrics_list: { kind: "read", call: () => api(base, "/biometrics/list", t(s)) },
    wallet_status: { kind: "read", call: () => api(base, "/biometrics/wallet/status", t(s)) },
    partner_exam_show: {
      kind: "read",
      call: () => partnerGet(signedPartnerPath(partner, "/api/v3/exams/:id", { id: examId })),
    },
    partner_sessions_index: {
      kind: "read",
      call: () => partnerGet(signedPartnerPath(partner, "/api/v3/exams/:exam_id/student_sessions", { exam_id: examId }, { limit: "50" })),
    },
    login: { kind: "write", call: () => login(nextLoginStudent()) },
    refresh_token: {
      kind: "write",
      // A fresh login's refresh token each time, so rotation never sees a reused token.
      prepare: async () => (await login(nextLoginStudent())).body.resource_obj.refresh,
      call: (refresh) => api(base, "/refresh_token", { json: { refresh } }),
    },
    monitoring: {
      kind: "write",
      call: () =>
        api(base, "/monitoring/", {
          ...t(s),
          json: { exam_id: examId, running_processes: ["chrome.exe"], is_face_detected: true, is_multiple_face_results: false, face_rec_result: "match", confidence_score: 0.93, is_voice_detected: false },
        }),
    },
    submit_feedback: { kind: "write", call: () => api(base, "/student/submit_feedback", { ...t(s), json: { exam_id: examId, cheat_mode: "Communication", feedback: "Fine." } }) },
    checkup_process: { kind: "write", call: () => api(base, "/student/checkup_process", { ...t(s), json: { exam_id: examId, running_processes: ["chrome.exe"] } }) },
    face_verify: { kind: "write", call: () => api(base, "/biometrics/face_verify", { ...t(s), json: { image: faceImage, exam_id: examId } }) },
  };
}

function login(who) {
  return api(base, "/login", { json: { email: who.email, password: who.password, organization: who.organization } });
}

async function partnerGet(path) {
  const res = await fetch(`${base}${path}`, { headers: partnerHeaders(partner) });
  return { status: res.status, body: await res.text() };
}
