// End-to-end latency of POST /backend/biometrics/face_verify through `wrangler dev` (API Worker ->
// inference Worker by RPC -> the student's Durable Object -> libSQL), on the 640x480 JPEG.
// Start the service first:  PORT=8791 DB_PORT=8091 npm start
// Then:                     BASE=http://127.0.0.1:8791 DB=http://127.0.0.1:8091 node bench/face-http.mjs [requests]
import { createClient } from "@libsql/client";
import { readFileSync } from "node:fs";

const BASE = process.env.BASE ?? "http://127.0.0.1:8791";
const DB = process.env.DB ?? "http://127.0.0.1:8091";
const N = Number(process.argv[2] ?? 60);
const WARMUP = 5;
const shared = "../shared/data";
const b64 = (p) => readFileSync(`${shared}/${p}`).toString("base64");

async function api(path, { json, token } = {}) {
  const res = await fetch(`${BASE}/backend${path}`, {
    method: json ? "POST" : "GET",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

const email = `bench.${Date.now()}@example.org`;
const password = "a good long password";
let r = await api("/register_user", { json: { email, password, organization: "UCY", role: "STUDENT", name: "Bench", surname: "Face" } });
if (r.status !== 200) throw new Error(JSON.stringify(r));
r = await api("/login", { json: { email, password, organization: "UCY" } });
const token = r.body.resource_obj.access;
const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

// An exam with this student enrolled, written directly (the exams API is another area's).
const db = createClient({ url: DB });
const inst = await db.execute({
  sql: "INSERT INTO users (institution_id, email, name, surname, role) VALUES (?, ?, 'I', 'B', 'INSTRUCTOR') RETURNING id",
  args: [claims.iid, `bench.instructor.${Date.now()}@example.org`],
});
const exam = await db.execute({
  sql: "INSERT INTO exams (institution_id, instructor_id, name, exam_type, duration_minutes, scheduled_at, privacy_policy) VALUES (?, ?, 'Bench', 'Written', 60, ?, 'p') RETURNING id",
  args: [claims.iid, inst.rows[0].id, Date.now()],
});
const examId = Number(exam.rows[0].id);
await db.execute({ sql: "INSERT INTO enrolments (institution_id, exam_id, student_id) VALUES (?, ?, ?)", args: [claims.iid, examId, Number(claims.sub)] });

let t = performance.now();
r = await api("/biometrics/face_register", { token, json: { images: ["faces/face_recognition/obama/obama.jpg", "faces/face_recognition/obama/obama1.jpg", "faces/face_recognition/obama/obama2.jpg"].map(b64) } });
console.log(`face_register (3 images, first call includes model load): ${r.status} ${(performance.now() - t).toFixed(0)} ms ${r.body.extra_details ?? JSON.stringify(r.body)}`);

const image = `data:image/jpeg;base64,${b64("media/obama_640x480.jpg")}`;
const times = [];
for (let i = 0; i < WARMUP + N; i++) {
  t = performance.now();
  r = await api("/biometrics/face_verify", { token, json: { image, exam_id: examId } });
  const ms = performance.now() - t;
  if (r.status !== 200 || !r.body.is_match) throw new Error(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
  if (i >= WARMUP) times.push(ms);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(`face_verify 640x480 JPEG, ${N} requests after ${WARMUP} warm-up: median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, min ${times[0].toFixed(1)}, max ${times.at(-1).toFixed(1)}`);
console.log(`last answer: ${r.body.extra_details}`);
