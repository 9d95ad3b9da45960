// Fault drills (issue 8) against the service started the README way, under a moderate load of monitoring
// reports and exam lists (clients that retry the same report after a 503 / a refused connection):
//   (a) the local libSQL server stopped for some seconds, then started again (SIGUSR1 / SIGUSR2 to
//       scripts/dev.mjs, whose pid is in DATA_DIR/dev.pid);
//   (b) wrangler dev restarted (SIGHUP to scripts/dev.mjs);
//   (c) the partner callback receiver answering 500, then unreachable, then fine; the Expo push service
//       answering 503, then unreachable, then fine (both fakes run in this script).
// Then it counts rows: every report acknowledged with a 2xx is stored exactly once, none twice; every
// callback event and push notice is delivered once. Prints markdown (BENCHMARKS.md "Faults").
//
//   node bench/faults.mjs     (~6 min; PORT 8811, DB_PORT 8812, fakes on 8813/8814, DATA_DIR /tmp/load-faults)
// Options: --down-seconds 8  --workers 8  --students 100  --no-idempotency-key  --skip-callbacks
import { createClient } from "@libsql/client";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { api, flags, partnerCredentials, percentile, provision, sleep, startService, waitUntilUp } from "./service.mjs";

const opt = flags();
const PORT = Number(process.env.PORT ?? 8811);
const DB_PORT = Number(process.env.DB_PORT ?? 8812);
const EXPO_PORT = 8813;
const RECEIVER_PORT = 8814;
const DATA_DIR = process.env.DATA_DIR ?? "/tmp/load-faults";
const DOWN_MS = Number(opt["down-seconds"] ?? 8) * 1000;
const WORKERS = Number(opt.workers ?? 8);
const IDEMPOTENCY = !opt["no-idempotency-key"]; // --no-idempotency-key: resend without the key (shows the duplicates)
const CLIENT_TIMEOUT_MS = 15_000; // a request unanswered this long counts as a hang
class Done extends Error {} // --skip-callbacks: stop after the database and wrangler drills
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);

// ---------------------------------------------------------------------------------------------
// Fakes: a partner callback receiver and an Expo push service, each "ok", "fail" (5xx) or "down".

function fake(port, name, handle) {
  let server = null;
  let mode = "ok";
  const start = () =>
    new Promise((resolve) => {
      server = http.createServer((req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => handle(req, Buffer.concat(chunks).toString("utf8"), res, mode));
      });
      server.listen(port, "127.0.0.1", resolve);
    });
  return {
    start,
    async set(next) {
      if (next === "down" && server) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        server = null;
      } else if (next !== "down" && !server) await start();
      mode = next;
      log(`${name}: ${next}`);
    },
    close: async () => {
      if (!server) return;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const callbacks = []; // { eventId, status, t }
const receiver = fake(RECEIVER_PORT, "callback receiver", (req, body, res, mode) => {
  const status = mode === "fail" ? 500 : 200;
  callbacks.push({ eventId: req.headers["x-trustid-event-id"], status, t: Date.now(), body });
  res.writeHead(status, { "content-type": "application/json" }).end("{}");
});

const pushes = []; // { to, exportId, status, t }
let ticket = 0;
const expo = fake(EXPO_PORT, "Expo push service", (req, body, res, mode) => {
  if (mode === "fail") return res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "INTERNAL", message: "down for maintenance" }] }));
  const json = JSON.parse(body || "null");
  if (req.url.endsWith("/push/send")) {
    const messages = Array.isArray(json) ? json : [json];
    for (const m of messages) pushes.push({ to: m.to, exportId: m.data?.export_id, t: Date.now() });
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: messages.map(() => ({ status: "ok", id: `t${++ticket}` })) }));
  }
  const data = Object.fromEntries((json?.ids ?? []).map((id) => [id, { status: "ok" }]));
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
});

// ---------------------------------------------------------------------------------------------
// Load: workers send monitoring reports (each with a unique marker, resent after a 503 or a refused
// connection, as a client would) and read exam lists; every attempt is recorded.

const attempts = []; // { t, ms, kind, status (0 = no connection, -1 = client timeout), retryAfter, envelope }
const accepted = new Set(); // markers acknowledged with 2xx
const sent = new Set(); // every marker ever sent
let running = false;

async function attempt(kind, base, path, init) {
  const t = Date.now();
  try {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    const text = await res.text();
    let envelope = false;
    try {
      const body = JSON.parse(text);
      envelope = res.ok || (typeof body.message === "string" && (res.status < 500 || typeof body.request_id === "string"));
    } catch {
      envelope = false;
    }
    const rec = { t, ms: Date.now() - t, kind, status: res.status, retryAfter: res.headers.get("retry-after"), envelope };
    attempts.push(rec);
    return rec;
  } catch (e) {
    const rec = { t, ms: Date.now() - t, kind, status: e?.name === "TimeoutError" ? -1 : 0, retryAfter: null, envelope: false };
    attempts.push(rec);
    return rec;
  }
}

async function monitoringWorker(base, world, w) {
  let n = 0;
  while (running) {
    const s = world.students[(w * 7919 + n) % world.students.length];
    const marker = `f-${w}-${n++}`;
    sent.add(marker);
    const body = JSON.stringify({ exam_id: world.examId, running_processes: ["chrome.exe"], is_face_detected: true, face_rec_result: "match", error_type: marker });
    for (;;) {
      // The same Idempotency-Key on every resend: the report is stored once however often it is sent.
      const headers = { "content-type": "application/json", authorization: `Bearer ${s.token}`, ...(IDEMPOTENCY ? { "idempotency-key": marker } : {}) };
      const r = await attempt("monitoring", base, "/backend/monitoring/", { method: "POST", headers, body });
      if (r.status >= 200 && r.status < 300) {
        accepted.add(marker);
        break;
      }
      if (r.status >= 400 && r.status < 500 && r.status !== 429) break; // refused for good (shows in the table)
      if (!running) break; // given up at the end: counted as never acknowledged
      await sleep(r.retryAfter ? Math.min(Number(r.retryAfter), 2) * 1000 : 500);
    }
  }
}

async function readWorker(base, world, w) {
  let n = 0;
  while (running) {
    const s = world.students[(w * 31 + n++) % world.students.length];
    const r = await attempt("list_exam", base, "/backend/student/list_exam", { headers: { authorization: `Bearer ${s.token}` } });
    if (r.status !== 200) await sleep(r.retryAfter ? Math.min(Number(r.retryAfter), 2) * 1000 : 500);
  }
}

// ---------------------------------------------------------------------------------------------

const summary = (from, to) => {
  const list = attempts.filter((a) => a.t + a.ms >= from && a.t + a.ms < to); // by when the answer came
  const by = {};
  for (const a of list) {
    const k = a.status === 0 ? "no connection" : a.status === -1 ? "client timeout" : String(a.status);
    by[k] = (by[k] ?? 0) + 1;
  }
  const ms = list.map((a) => a.ms).sort((x, y) => x - y);
  const shed = list.filter((a) => a.status === 503 || a.status === 429);
  return {
    n: list.length,
    statuses: Object.entries(by).map(([k, v]) => `${k}: ${v}`).join(", ") || "-",
    p50: percentile(ms, 50),
    max: ms.at(-1) ?? NaN,
    shedOk: shed.every((a) => Number(a.retryAfter) >= 1 && a.envelope),
    shed: shed.length,
    fiveHundreds: list.filter((a) => a.status >= 500 && a.status !== 503).length,
  };
};
const firstSuccessAfter = (t) => attempts.filter((a) => a.t >= t && a.status >= 200 && a.status < 300).reduce((m, a) => Math.min(m, a.t + a.ms), Infinity);

if (DATA_DIR.startsWith("/tmp/")) rmSync(DATA_DIR, { recursive: true, force: true }); // a fresh database per run
await receiver.start();
await expo.start();
process.env.EXPO_PUSH_URL = `http://127.0.0.1:${EXPO_PORT}`;
log(`starting the service (npm start, PORT=${PORT} DB_PORT=${DB_PORT} DATA_DIR=${DATA_DIR}, EXPO_PUSH_URL=${process.env.EXPO_PUSH_URL})`);
const service = await startService({ port: PORT, dbPort: DB_PORT, dataDir: DATA_DIR, log: "/tmp/load-faults-service.log" });
const base = service.url;
const devPid = () => Number(readFileSync(join(DATA_DIR, "dev.pid"), "utf8"));
const db = createClient({ url: service.dbUrl });
const out = [];
const print = (line = "") => out.push(line);

try {
  log("provisioning ...");
  const world = await provision(base, { students: Number(opt.students ?? 100), faceStudents: 2, log });
  partnerCredentials(service.dbUrl);
  execFileSync(process.execPath, ["scripts/partner-credentials.mjs", "set-callback", "--institution", "UCY", "--url", `http://127.0.0.1:${RECEIVER_PORT}/hooks/faults`, "--allow-http", "true"], {
    env: { ...process.env, DATABASE_URL: service.dbUrl },
  });

  running = true;
  const workers = [
    ...Array.from({ length: Math.ceil(WORKERS * 0.75) }, (_, w) => monitoringWorker(base, world, w)),
    ...Array.from({ length: Math.floor(WORKERS * 0.25) }, (_, w) => readWorker(base, world, w)),
  ];
  log(`load: ${WORKERS} clients`);
  const tStart = Date.now();
  await sleep(10_000);

  // (a) The database stops for DOWN_MS.
  const tDbDown = Date.now();
  process.kill(devPid(), "SIGUSR1");
  log("libSQL server stopped");
  await sleep(DOWN_MS);
  const tDbUp = Date.now();
  process.kill(devPid(), "SIGUSR2");
  log("libSQL server started again");
  await sleep(10_000);

  // (b) wrangler dev restarts (both Workers); the database stays up.
  const tRestart = Date.now();
  process.kill(devPid(), "SIGHUP");
  log("wrangler dev restarting");
  await waitUntilUp(base, 120_000).catch(() => {});
  await sleep(3_000); // give the wrangler restart a moment before judging recovery
  while (firstSuccessAfter(tRestart + 1000) === Infinity && Date.now() - tRestart < 120_000) await sleep(500);
  const tBack = firstSuccessAfter(tRestart + 1000);
  await sleep(10_000);
  running = false;
  await Promise.all(workers);
  const tEnd = Date.now();

  // Rows: every acknowledged report stored once; nothing twice.
  const rows = await db.execute({ sql: "select payload from monitoring_events where exam_id = ?", args: [world.examId] });
  const stored = new Map();
  for (const r of rows.rows) {
    const m = JSON.parse(String(r.payload)).error_type;
    stored.set(m, (stored.get(m) ?? 0) + 1);
  }
  const duplicates = [...stored.values()].filter((n) => n > 1).length;
  const lost = [...accepted].filter((m) => !stored.has(m)).length;
  const unacknowledged = [...stored.keys()].filter((m) => !accepted.has(m)).length;

  const row = (name, s, note) =>
    print(`| ${name} | ${s.n} | ${s.statuses} | ${s.p50 ?? "-"} | ${s.max ?? "-"} | ${s.shed === 0 ? "-" : s.shedOk ? "all" : "NOT all"} | ${s.fiveHundreds} | ${note} |`);
  print(`#### Database and wrangler dev faults under load (${WORKERS} clients: ${Math.ceil(WORKERS * 0.75)} sending monitoring reports${IDEMPOTENCY ? " with an Idempotency-Key" : " WITHOUT an Idempotency-Key"}, ${Math.floor(WORKERS * 0.25)} reading exam lists)`);
  print();
  print("| phase | attempts | statuses | p50 ms | max ms | 503/429 with Retry-After + envelope | other 5xx | recovery |");
  print("|---|---|---|---|---|---|---|---|");
  row("before", summary(tStart, tDbDown), "");
  row(`libSQL server stopped (${DOWN_MS / 1000} s)`, summary(tDbDown, tDbUp), "");
  const dbRecovery = firstSuccessAfter(tDbUp) - tDbUp;
  row("after it started again", summary(tDbUp, tRestart), `first 2xx ${dbRecovery} ms after the restart`);
  row("wrangler dev restart", summary(tRestart, tBack), `first 2xx ${((tBack - tRestart) / 1000).toFixed(1)} s after SIGHUP`);
  row("after", summary(tBack, tEnd), "");
  print();
  print(
    `Reports sent: ${sent.size}; acknowledged (2xx): ${accepted.size}; stored: ${stored.size} distinct, ${rows.rows.length} rows; ` +
      `acknowledged but missing: **${lost}**; stored twice or more: **${duplicates}**; stored but never acknowledged: ${unacknowledged}.`,
  );
  print(`Slowest answer of the whole run: ${Math.max(...attempts.map((a) => a.ms))} ms (client timeout ${CLIENT_TIMEOUT_MS} ms; client timeouts: ${attempts.filter((a) => a.status === -1).length}).`);

  // (c) Callbacks and push notices while their receivers fail.
  if (opt["skip-callbacks"]) throw new Done();
  log("callbacks and push: receiver 500 / Expo 503 ...");
  await receiver.set("fail");
  await expo.set("fail");
  const instructor = (await api(base, "/login", { json: world.instructor })).body.resource_obj.access;
  const approved = world.students.slice(10, 13);
  const tNotify = Date.now();
  for (const s of approved) {
    const r = await api(base, "/instructor/manual_approve_student", { token: instructor, json: { exam_id: world.examId, email: s.email } });
    if (r.status !== 200) throw new Error(`approve: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const exportIds = [];
  for (const [i, s] of world.students.slice(0, 2).entries()) {
    const token = (await api(base, "/login", { json: s })).body.resource_obj.access;
    const r = await api(base, "/biometrics/wallet/face", { token, json: { expoPushToken: `ExponentPushToken[faults-${i}-${Date.now()}]` } });
    if (r.status !== 200) throw new Error(`wallet export: ${r.status} ${JSON.stringify(r.body)}`);
    exportIds.push(r.body.resource_dict.export_id);
  }
  await sleep(5_000);
  await receiver.set("down");
  await expo.set("down");
  const scheduled = () => fetch(`${base}/__scheduled?cron=*+*+*+*+*`).then((r) => r.arrayBuffer()).catch(() => {});
  let tOk = null;
  const deadline = Date.now() + 8 * 60_000;
  let outbox = [];
  let exportsNow = [];
  for (;;) {
    if (!tOk && Date.now() - tNotify > 75_000) {
      await receiver.set("ok");
      await expo.set("ok");
      tOk = Date.now();
    }
    await scheduled();
    await sleep(10_000);
    outbox = (await db.execute({ sql: "select id, attempts, delivered_at, failed_at, last_error, created_at from partner_callback_outbox where exam_id = ? and created_at >= ?", args: [world.examId, tNotify] })).rows;
    exportsNow = (await db.execute({ sql: `select id, push_status, push_attempts, push_error from wallet_exports where id in (${exportIds.map(() => "?").join(",")})`, args: exportIds })).rows;
    const done = outbox.length > 0 && outbox.every((o) => o.delivered_at !== null || o.failed_at !== null) && exportsNow.every((e) => e.push_status === "delivered" || e.push_status === "failed");
    if (done || Date.now() > deadline) break;
  }
  const byEvent = new Map();
  for (const c of callbacks.filter((c) => c.t >= tNotify)) byEvent.set(c.eventId, [...(byEvent.get(c.eventId) ?? []), c.status]);
  print();
  print("#### Partner callbacks and Expo push notices while their receivers fail");
  print();
  print(`Receiver answering 500 and Expo answering 503 for 5 s, then both unreachable (connection refused) until ${((tOk - tNotify) / 1000).toFixed(0)} s, then fine; the scheduled handler fired every 10 s.`);
  print();
  print("| callback event | attempts (outbox) | delivered after | statuses the receiver saw (refused attempts not seen) | last_error while failing |");
  print("|---|---|---|---|---|");
  for (const o of outbox) {
    print(`| ${String(o.id).slice(0, 8)} | ${o.attempts} | ${o.delivered_at ? `${((Number(o.delivered_at) - tNotify) / 1000).toFixed(0)} s` : o.failed_at ? "gave up" : "not yet"} | ${(byEvent.get(o.id) ?? []).join(", ")} | ${o.last_error ?? "-"} |`);
  }
  print();
  print("| push notice (export) | status | attempts | sends Expo accepted |");
  print("|---|---|---|---|");
  for (const e of exportsNow) print(`| ${String(e.id).slice(0, 8)} | ${e.push_status} | ${e.push_attempts} | ${pushes.filter((p) => p.exportId === e.id).length} |`);
  const twice = [...byEvent.values()].filter((s) => s.filter((x) => x === 200).length > 1).length;
  print();
  print(`Callback events: ${outbox.length} queued for ${approved.length} approvals, ${outbox.filter((o) => o.delivered_at).length} delivered, accepted twice: ${twice}. Push notices: ${exportsNow.filter((e) => e.push_status === "delivered").length}/${exportIds.length} delivered.`);
} catch (e) {
  if (!(e instanceof Done)) throw e;
} finally {
  running = false;
  console.log(out.join("\n"));
  db.close();
  await service.stop();
  await receiver.close();
  await expo.close();
}
