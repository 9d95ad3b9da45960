// Shared by bench/load.mjs and bench/faults.mjs: start the service the README way (`npm start`), provision
// what a load run needs through the public API, sign partner API requests, and summarise latencies.
// Data (face pictures) is read in place from ../shared/data, never copied.
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { openSync, readFileSync } from "node:fs";

export const SHARED = "../shared/data";
const PASSWORD = "a good long password for load";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Command-line flags `--name value` (or `--flag` alone = true). */
export function flags(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) continue;
    const name = argv[i].slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[name] = true;
    else out[name] = argv[++i];
  }
  return out;
}

/**
 * `npm start` in its own process group with the given ports and data folder (as README says); resolves
 * when /backend/trustid_version answers. `stop()` ends the whole group (npm, dev.mjs, wrangler, workerd).
 */
export async function startService({ port, dbPort, dataDir, log }) {
  const out = openSync(log, "a");
  const child = spawn("npm", ["start"], {
    env: { ...process.env, PORT: String(port), DB_PORT: String(dbPort), DATA_DIR: dataDir },
    stdio: ["ignore", out, out],
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url, 240_000);
  return {
    url,
    dbUrl: `http://127.0.0.1:${dbPort}`,
    pid: child.pid,
    stop: async () => {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      for (let i = 0; i < 50 && child.exitCode === null; i++) await sleep(100);
    },
  };
}

/** Polls a cheap endpoint until it answers 200; returns the ms it took. */
export async function waitUntilUp(url, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(`${url}/backend/trustid_version`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return Date.now() - t0;
    } catch {
      // not yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

/**
 * The address a simulated user's device logs in from (sent as CF-Connecting-IP, which wrangler dev passes on):
 * every student sits at their own device, as in a real exam, so the per-IP login limit (docs/limits.md) sees
 * many clients rather than one benchmark machine.
 */
export function clientIp(email) {
  let h = 0;
  for (const ch of String(email)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `10.${(h >>> 16) & 255}.${(h >>> 8) & 255}.${h & 255}`;
}

export async function api(base, path, { json, token, method } = {}) {
  const res = await fetch(`${base}/backend${path}`, {
    method: method ?? (json ? "POST" : "GET"),
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(json?.email ? { "cf-connecting-ip": clientIp(json.email) } : {}),
    },
    body: json ? JSON.stringify(json) : undefined,
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

const must = (r, what, status = 200) => {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** Runs fn over items with at most `limit` at a time. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export const b64 = (p) => readFileSync(`${SHARED}/${p}`).toString("base64");
export const FACE_ENROL = ["faces/face_recognition/obama/obama.jpg", "faces/face_recognition/obama/obama1.jpg", "faces/face_recognition/obama/obama2.jpg"];
export const FACE_VERIFY = "media/obama_640x480.jpg";

/**
 * Through the public API: an instructor, `students` students (registered, logged in), one exam with all
 * of them enrolled and started, and the first `faceStudents` enrolled with a face template.
 */
export async function provision(base, { students, faceStudents, org = "UCY", log = console.log }) {
  const run = `${Date.now().toString(36)}`;
  const instructor = { email: `load.instructor.${run}@example.org`, password: PASSWORD, organization: org };
  must(await api(base, "/register_user", { json: { ...instructor, name: "Load", surname: "Instructor", role: "INSTRUCTOR" } }), "register instructor");
  instructor.token = must(await api(base, "/login", { json: instructor }), "login instructor", 201).resource_obj.access;

  const people = Array.from({ length: students }, (_, i) => ({ email: `load.s${i}.${run}@example.org`, password: PASSWORD, organization: org }));
  let t = Date.now();
  await pool(people, 4, async (s, i) => {
    must(await api(base, "/register_user", { json: { ...s, name: "Student", surname: `N${i}`, role: "STUDENT" } }), "register student");
  });
  log(`  registered ${students} students in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const exam = await api(base, "/instructor/add_exam", {
    token: instructor.token,
    json: {
      name: `Load ${run}`,
      exam_type: "Written",
      duration: 240,
      scheduled_date: new Date(Date.now() + 60_000).toISOString(),
      privacy_policy: "Load test exam.",
      forbidden_processes: ["anydesk.exe"],
    },
  });
  const examId = Number(must(exam, "add_exam").resource_str);
  for (let i = 0; i < people.length; i += 1000) {
    const chunk = people.slice(i, i + 1000).map((s, j) => ({ email: s.email, name: "Student", surname: `N${i + j}` }));
    must(await api(base, "/instructor/sync_courses_exams", { token: instructor.token, json: { details: { exam_id: examId, students: chunk } } }), "enrol");
  }
  must(await api(base, "/update_exam_condition", { token: instructor.token, json: { exam_id: examId, condition: "Start" } }), "start exam");

  t = Date.now();
  await pool(people, 4, async (s) => {
    s.token = must(await api(base, "/login", { json: s }), "login student", 201).resource_obj.access;
  });
  log(`  logged ${students} students in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  t = Date.now();
  const images = FACE_ENROL.map(b64);
  let restarts = 0;
  await pool(people.slice(0, faceStudents), 1, async (s) => {
    // The first enrolments load the models; wrangler dev has been seen restarting the worker then
    // ("Your worker restarted mid-request", its own 503): try again, and say so.
    for (let i = 0; ; i++) {
      const r = await api(base, "/biometrics/face_register", { token: s.token, json: { images } });
      if (r.status === 503 && i < 5) {
        restarts++;
        await sleep(2000);
        continue;
      }
      must(r, "face_register");
      break;
    }
  });
  if (restarts) log(`  (face_register answered 503 ${restarts} time(s) and was retried: ${JSON.stringify("worker restarted")})`);
  log(`  enrolled ${faceStudents} face templates in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return { instructor, students: people, examId, faceImage: `data:image/jpeg;base64,${b64(FACE_VERIFY)}` };
}

/** New partner API credentials for the institution, with the documented operator script. */
export function partnerCredentials(dbUrl, org = "UCY") {
  const script = (...args) =>
    execFileSync(process.execPath, ["scripts/partner-credentials.mjs", ...args, "--institution", org], {
      env: { ...process.env, DATABASE_URL: dbUrl },
      encoding: "utf8",
    });
  // `create` the first time; later runs on the same database `rotate` (the previous pair stays valid).
  const out = script(/ACTIVE/.test(script("list")) ? "rotate" : "create");
  const token = /api token:\s*([0-9a-f]+)/.exec(out)?.[1];
  const secretKey = /secret key:\s*([0-9a-f]+)/.exec(out)?.[1];
  if (!token || !secretKey) throw new Error(`could not read credentials from: ${out}`);
  return { token, secretKey };
}

let nonceCounter = 0;
/**
 * A signed partner GET (docs/partner-api.md): path ids and all parameters, sorted, `name=value` joined
 * by `?`, HMAC-SHA256 with the secret key; fresh nonce and ms timestamp per request.
 */
export function signedPartnerPath(partner, template, pathIds, params = {}) {
  const path = template.replace(/:(\w+)/g, (_, n) => encodeURIComponent(String(pathIds[n])));
  const sent = { ...params, timestamp: String(Date.now()), nonce: `${Date.now()}${process.pid}${String(nonceCounter++).padStart(7, "0")}` };
  const signed = { ...sent };
  for (const [k, v] of Object.entries(pathIds)) signed[k] = String(v);
  const text = Object.keys(signed).sort().map((k) => `${k}=${signed[k]}`).join("?");
  const signature = createHmac("sha256", partner.secretKey).update(text).digest("hex");
  const qs = new URLSearchParams({ ...sent, signature }).toString();
  return `${path}?${qs}`;
}

export const partnerHeaders = (partner) => ({ accept: "application/vnd.procwise.v3", authorization: `Token token=${partner.token}` });

/** p-th percentile of sorted numbers. */
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * autocannon request definitions of the endpoints the load benches drive (bench/load.mjs, bench/overhead.mjs),
 * rotating over the provisioned students; the partner reads only when `partner` credentials are given.
 */
export function loadEndpoints(world, { partner, faceStudents: faceCount }) {
  const { students, instructor, examId, faceImage } = world;
  const faceStudents = students.slice(0, faceCount);
  let i = 0;
  const next = (list) => list[i++ % list.length];
  const bearer = (token) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
  const monitoringBody = JSON.stringify({
    exam_id: examId,
    running_processes: ["chrome.exe", "code.exe", "anydesk.exe"],
    is_face_detected: true,
    is_multiple_face_results: false,
    face_rec_result: "match",
    confidence_score: 0.93,
    is_voice_detected: false,
  });
  const faceBody = JSON.stringify({ image: faceImage, exam_id: examId });
  return {
    login: {
      method: "POST",
      path: "/backend/login",
      setup: (req) => {
        const s = next(students);
        return { ...req, headers: { "content-type": "application/json", "cf-connecting-ip": clientIp(s.email) }, body: JSON.stringify({ email: s.email, password: s.password, organization: s.organization }) };
      },
    },
    student_list_exam: { method: "GET", path: "/backend/student/list_exam", setup: (req) => ({ ...req, headers: bearer(next(students).token) }) },
    instructor_list_exam: { method: "GET", path: "/backend/instructor/list_exam", setup: (req) => ({ ...req, headers: bearer(instructor.token) }) },
    monitoring: { method: "POST", path: "/backend/monitoring/", setup: (req) => ({ ...req, headers: bearer(next(students).token), body: monitoringBody }) },
    face_verify: { method: "POST", path: "/backend/biometrics/face_verify", setup: (req) => ({ ...req, headers: bearer(next(faceStudents).token), body: faceBody }) },
    ...(partner ? partnerEndpoints(partner, examId) : {}),
  };
}

function partnerEndpoints(partner, examId) {
  return {
    partner_sessions: {
      method: "GET",
      path: "/api/v3/exams",
      setup: (req) => ({ ...req, headers: partnerHeaders(partner), path: signedPartnerPath(partner, "/api/v3/exams/:exam_id/student_sessions", { exam_id: examId }, { limit: "50" }) }),
    },
    partner_exam: {
      method: "GET",
      path: "/api/v3/exams",
      setup: (req) => ({ ...req, headers: partnerHeaders(partner), path: signedPartnerPath(partner, "/api/v3/exams/:id", { id: examId }) }),
    },
  };
}
