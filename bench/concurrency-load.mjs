// Load check of the concurrency and rate-limit behaviour through `wrangler dev` (docs/limits.md):
// 1. 100 connections send device monitoring reports (POST /backend/monitoring/) for one exam from 20
//    students for 15 s; then the database must hold each report once and one alert episode per student and
//    problem whose occurrences add up to the reports stored;
// 2. 50 connections of one student hammer /biometrics/interaction/test for 10 s: beyond the per-student
//    limit the answers must be 429s, and nothing else but 200s.
// Start the service first:  PORT=8831 DB_PORT=8832 DATA_DIR=/tmp/conc-data npm start
// Then:                     BASE=http://127.0.0.1:8831 DB=http://127.0.0.1:8832 node bench/concurrency-load.mjs
import { createClient } from "@libsql/client";
import autocannon from "autocannon";
import { readFileSync } from "node:fs";

const BASE = process.env.BASE ?? "http://127.0.0.1:8831";
const DB = process.env.DB ?? "http://127.0.0.1:8832";
const B = `${BASE}/backend`;

async function post(path, json, token, headers = {}) {
  const res = await fetch(B + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(json),
  });
  return { status: res.status, body: await res.json() };
}

const stamp = Date.now().toString(36);
async function session(role, i) {
  const email = `load.${role.toLowerCase()}.${stamp}.${i}@example.org`;
  await post("/register_user", { email, name: "L", surname: "T", organization: "UCY", password: "a long password", role });
  // A distinct client address per account, so that this setup does not meet the per-IP login limit.
  const r = await post("/login", { email, password: "a long password", organization: "UCY" }, null, { "cf-connecting-ip": `10.9.${i >> 8}.${i & 255}` });
  if (r.status !== 201) throw new Error(`login: ${JSON.stringify(r)}`);
  return { email, token: r.body.resource_obj.access };
}

const run = (opts) => new Promise((resolve, reject) => autocannon(opts, (e, r) => (e ? reject(e) : resolve(r))));
const statusCounter = (codes) => (client) => client.on("response", (status) => (codes[status] = (codes[status] ?? 0) + 1));

const teacher = await session("INSTRUCTOR", 0);
const students = [];
for (let i = 1; i <= 20; i++) students.push(await session("STUDENT", i));
const added = await post("/instructor/add_exam", {
  name: "Load", exam_type: "Written", duration: 90, scheduled_date: new Date(Date.now() + 3600e3).toISOString(),
  privacy_policy: "p", forbidden_processes: ["anydesk*"],
}, teacher.token);
const examId = Number(added.body.resource_str);
await post("/instructor/sync_courses_exams", { details: { exam_id: examId, students: students.map((s) => ({ email: s.email, name: "S", surname: "T" })) } }, teacher.token);
if ((await post("/update_exam_condition", { exam_id: examId, condition: "Start" }, teacher.token)).status !== 200) throw new Error("start failed");

let k = 0;
const monitoringCodes = {};
const r1 = await run({
  url: `${B}/monitoring/`, connections: 100, duration: 15, method: "POST",
  setupClient: statusCounter(monitoringCodes),
  requests: [{
    setupRequest: (req) => {
      const s = students[k++ % students.length];
      return { ...req, headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` }, body: JSON.stringify({ exam_id: examId, is_face_detected: false, running_processes: "AnyDesk.exe" }) };
    },
  }],
});
await new Promise((r) => setTimeout(r, 5000)); // the reports still in flight when autocannon stopped
const db = createClient({ url: DB });
const events = Number((await db.execute({ sql: "SELECT count(*) AS n FROM monitoring_events WHERE exam_id = ?", args: [examId] })).rows[0].n);
const episodes = (await db.execute({ sql: "SELECT reason, count(*) AS episodes, count(DISTINCT student_id) AS students, sum(occurrences) AS occurrences FROM alerts WHERE exam_id = ? GROUP BY reason ORDER BY reason", args: [examId] })).rows;
console.log(`monitoring/: ${JSON.stringify(monitoringCodes)} in 15 s (${r1.requests.average} req/s), errors ${r1.errors}, timeouts ${r1.timeouts}, latency p50 ${r1.latency.p50} ms p99 ${r1.latency.p99} ms`);
console.log(`  stored events ${events}; alerts ${JSON.stringify(episodes.map((e) => ({ ...e })))}`);
const consistent = episodes.length === 2 && episodes.every((e) => Number(e.episodes) === 20 && Number(e.students) === 20 && Number(e.occurrences) === events);
console.log(`  one episode per student and problem, occurrences = events: ${consistent}`);

const rows = readFileSync("../shared/data/keystroke/meu-mobile-ksd/data/2.csv", "utf8").trim().split(/\r?\n/);
const s0 = students[0];
if ((await post("/biometrics/interaction/train", { training_dataset: rows.slice(0, 25).join("\n") }, s0.token)).status !== 200) throw new Error("train failed");
const limitCodes = {};
const r2 = await run({
  url: `${B}/biometrics/interaction/test`, connections: 50, duration: 10, method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${s0.token}` },
  body: JSON.stringify({ testing_dataset: rows.slice(25, 30).join("\n") }),
  setupClient: statusCounter(limitCodes),
});
console.log(`interaction/test, one student, 50 connections, 10 s: ${JSON.stringify(limitCodes)}, errors ${r2.errors}, timeouts ${r2.timeouts}, latency p99 ${r2.latency.p99} ms`);
if (!consistent || Object.keys(monitoringCodes).some((c) => c !== "200") || Object.keys(limitCodes).some((c) => c !== "200" && c !== "429")) process.exitCode = 1;
