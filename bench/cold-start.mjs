// Cold start of the inference Worker (issue 14 part 3): the first face_verify, voice verify and handwriting
// verify after `wrangler dev` restarts (a fresh isolate of both Workers, no model session loaded), then warm
// ones. Starts the service the README way (`npm start`, own PORT/DB_PORT/DATA_DIR), provisions one student with
// a face, a voice and a handwriting model through the public API, and per round restarts wrangler dev (SIGHUP to
// scripts/dev.mjs) and sends one modality first; the others follow in the same isolate.
//
//   node bench/cold-start.mjs [--rounds 3] [--warm 5] [--port 8831 --db-port 8832 --data-dir /tmp/cold-start-data]
//   node bench/cold-start.mjs --url http://127.0.0.1:8787 --db-url http://127.0.0.1:8080 --data-dir data  # running one
//
// Besides wall time (inflated when other jobs share the cores) it reports the CPU seconds workerd spent on each
// request (utime + stime of the workerd processes under the service, all threads, from /proc): what the request
// cost, whatever the machine's load. Data is read in place from ../shared/data.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { api, b64, flags, provision, SHARED, sleep, startService, waitUntilUp } from "./service.mjs";

const opt = flags();
const ROUNDS = Number(opt.rounds ?? 3);
const WARM = Number(opt.warm ?? 5);
const PORT = Number(opt.port ?? 8831);
const DB_PORT = Number(opt["db-port"] ?? 8832);
const DATA_DIR = opt["data-dir"] ?? "/tmp/cold-start-data";
const log = (...a) => console.log(...a);

// ---- workerd CPU time from /proc ----
const TICK_MS = 10; // USER_HZ is 100 on Linux
function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { comm: s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")), ppid: Number(rest[1]), cpuMs: (Number(rest[11]) + Number(rest[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}
/** Sum of CPU ms of the workerd processes descending from `root` (or any workerd when root is unknown). */
function workerdCpuMs(root) {
  const all = new Map();
  for (const d of readdirSync("/proc")) if (/^\d+$/.test(d)) {
    const st = procStat(d);
    if (st) all.set(Number(d), st);
  }
  const under = (pid) => {
    for (let p = pid, i = 0; p > 1 && i < 50; i++) {
      if (p === root) return true;
      p = all.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let sum = 0;
  let pids = [];
  for (const [pid, st] of all) if (st.comm === "workerd" && (root === undefined || under(pid))) {
    sum += st.cpuMs;
    pids.push(pid);
  }
  return { cpuMs: sum, pids: pids.sort().join(",") };
}

const loadAvg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

// ---- the service ----
let service;
let rootPid;
if (opt.url) {
  service = { url: opt.url, dbUrl: opt["db-url"], stop: async () => {} };
  rootPid = Number(readFileSync(join(DATA_DIR, "dev.pid"), "utf8"));
} else {
  log(`starting npm start on ${PORT} (db ${DB_PORT}, data ${DATA_DIR})`);
  service = await startService({ port: PORT, dbPort: DB_PORT, dataDir: DATA_DIR, log: "/tmp/cold-start-service.log" });
  rootPid = Number(readFileSync(join(DATA_DIR, "dev.pid"), "utf8"));
}
const base = service.url;

try {
  log("provisioning one student (face, voice, handwriting) through the public API");
  const { students, examId, faceImage } = await provision(base, { students: 1, faceStudents: 1, log });
  const student = students[0];

  const voiceDir = join(SHARED, "voice", "eval", "1688");
  const clips = readdirSync(voiceDir).filter((f) => f.endsWith(".wav")).sort();
  const clip = (i) => b64(`voice/eval/1688/${clips[i]}`);
  const form = (type, samples) => {
    const f = new FormData();
    f.set("biometric_type", type);
    for (const s of samples) f.append("voice_base64", s);
    return f;
  };
  const post = async (path, body) => {
    const res = await fetch(`${base}/backend${path}`, { method: "POST", headers: { authorization: `Bearer ${student.token}` }, body });
    const text = await res.text();
    return { status: res.status, body: text };
  };
  const must = (r, what, status) => {
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.body}`);
  };
  must(await post("/biometrics/register", form("Voice", [0, 1, 2].map(clip))), "voice register", 201);
  const hw = (dir, f) => Buffer.from(readFileSync(join(SHARED, "handwriting", "mcyt-online", dir, f))).toString("base64");
  must(await post("/biometrics/register", form("Handwriting", [1, 2, 3, 4, 5].map((i) => hw("enrollment", `001-g-0${i}.txt`)))), "handwriting register", 201);

  const voiceClip = clip(6);
  const signature = hw("verification", "001-01.txt");
  const requests = {
    face: async () => {
      const res = await fetch(`${base}/backend/biometrics/face_verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${student.token}`, "content-type": "application/json" },
        body: JSON.stringify({ image: faceImage, exam_id: examId }),
      });
      return { status: res.status, body: await res.text() };
    },
    voice: () => post("/biometrics/verify", form("Voice", [voiceClip])),
    handwriting: () => post("/biometrics/verify", form("Handwriting", [signature])),
  };
  const timed = async (kind) => {
    const before = workerdCpuMs(rootPid).cpuMs;
    const t = performance.now();
    const r = await requests[kind]();
    const wall = performance.now() - t;
    await sleep(300); // let background tier-up compilation of this request land in its own count
    const cpu = workerdCpuMs(rootPid).cpuMs - before;
    if (r.status !== 200 || !/"is_match":true/.test(r.body)) throw new Error(`${kind}: ${r.status} ${r.body.slice(0, 300)}`);
    return { wall, cpu };
  };

  const orders = [["face", "voice", "handwriting"], ["voice", "face", "handwriting"], ["handwriting", "voice", "face"]];
  const results = []; // { round, kind, position, wall, cpu, load }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const order of orders) {
      student.token = (await api(base, "/login", { json: student })).body.resource_obj.access; // fresh 10-minute token
      // Restart wrangler dev (both Workers) and wait for the new one.
      const oldPids = workerdCpuMs(rootPid).pids;
      process.kill(rootPid, "SIGHUP");
      const t0 = Date.now();
      while (workerdCpuMs(rootPid).pids === oldPids && Date.now() - t0 < 60_000) await sleep(100);
      const upMs = await waitUntilUp(base, 180_000);
      await sleep(1000); // the new workerd settles (its start-up CPU is not the request's)
      const load = loadAvg();
      const line = [];
      for (const [position, kind] of order.entries()) {
        const m = await timed(kind);
        results.push({ round, kind, position, ...m, load });
        line.push(`${kind} ${m.wall.toFixed(0)} ms (cpu ${m.cpu} ms)`);
      }
      for (const kind of order) {
        for (let i = 0; i < WARM; i++) results.push({ round, kind, position: "warm", ...(await timed(kind)), load });
      }
      log(`round ${round}, ${order[0]} first (restart ${((Date.now() - t0) / 1000).toFixed(1)} s, up after ${upMs} ms; load ${load}): ${line.join(", ")}`);
    }
  }

  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
  };
  const cell = (rows) => (rows.length ? `${median(rows.map((r) => r.wall)).toFixed(0)} (${Math.min(...rows.map((r) => r.wall)).toFixed(0)}-${Math.max(...rows.map((r) => r.wall)).toFixed(0)}) / ${median(rows.map((r) => r.cpu)).toFixed(0)}` : "-");
  log("");
  log(`| request | first after restart | after another modality | warm (${WARM} per round) |`);
  log("|---|---|---|---|");
  for (const kind of ["face", "voice", "handwriting"]) {
    const mine = results.filter((r) => r.kind === kind);
    log(`| ${kind} | ${cell(mine.filter((r) => r.position === 0))} | ${cell(mine.filter((r) => r.position === 1 || r.position === 2))} | ${cell(mine.filter((r) => r.position === "warm"))} |`);
  }
  log("(each cell: median wall ms (min-max) / median workerd CPU ms)");
  log(`load average during the rounds: ${[...new Set(results.map((r) => r.load))].join("; ")}`);
} finally {
  await service.stop();
}
