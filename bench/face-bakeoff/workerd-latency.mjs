// Embedding latency of the bake-off models inside workerd (wrangler dev, local), with the service's own ORT
// set-up (src/inference/ort.ts: compiled .wasm module, one thread). Generates a throwaway Worker under
// /tmp/face-bakeoff-workerd (models copied beside it; nothing is written into the repository), starts it,
// and times one embedding per request from outside, models interleaved round by round; an empty request
// ("none") measures the HTTP overhead, which is subtracted.
//   node bench/face-bakeoff/workerd-latency.mjs [rounds=30] [port=8799]
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const rounds = Number(process.argv[2] ?? 30);
const port = Number(process.argv[3] ?? 8799);
const repo = resolve(".");
const dir = "/tmp/face-bakeoff-workerd";
const modelsDir = process.env.FACE_MODELS_DIR ?? "/tmp/face-models";
const MODELS = {
  today: { file: `${repo}/wasm-models/fr_feature.onnx`, size: 112 },
  faceapi: { file: `${modelsDir}/faceapi-recognition.int8.onnx`, size: 150 },
  faceres: { file: `${modelsDir}/faceres.int8.onnx`, size: 224 },
  mobilefacenet: { file: `${modelsDir}/mobilefacenet.int8.onnx`, size: 112 },
  mobileface: { file: `${modelsDir}/mobileface.int8.onnx`, size: 112 },
};
const present = Object.entries(MODELS).filter(([, m]) => existsSync(m.file));
mkdirSync(dir, { recursive: true });
for (const [name, m] of present) copyFileSync(m.file, `${dir}/${name}.onnx`);
writeFileSync(
  `${dir}/worker.ts`,
  `import ortWasm from "${repo}/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import { createSession, initOrt, type Session } from "${repo}/src/inference/ort";
${present.map(([n]) => `import ${n} from "./${n}.onnx";`).join("\n")}
const files: Record<string, [ArrayBuffer, number]> = { ${present.map(([n, m]) => `${n}: [${n}, ${m.size}]`).join(", ")} };
let sessions: Record<string, Session> | undefined;
export default {
  async fetch(req: Request): Promise<Response> {
    if (!sessions) {
      initOrt(ortWasm);
      sessions = {};
      for (const [n, [bytes]] of Object.entries(files)) sessions[n] = await createSession(bytes);
    }
    const m = new URL(req.url).searchParams.get("m") ?? "none";
    if (m === "none") return new Response("ok");
    const size = files[m]![1];
    const input = new Float32Array(3 * size * size).map((_, i) => Math.sin(i * 0.1));
    const t = performance.now();
    await sessions[m]!.run(input, [1, 3, size, size]);
    return new Response(String(performance.now() - t));
  },
};
`,
);
writeFileSync(
  `${dir}/wrangler.toml`,
  `name = "face-bakeoff-latency"\nmain = "worker.ts"\ncompatibility_date = "2026-04-01"\nsend_metrics = false\n[[rules]]\ntype = "Data"\nglobs = ["**/*.onnx"]\nfallthrough = false\n`,
);

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_ERROR_REPORTS: "false" };
const child = spawn(`${repo}/node_modules/.bin/wrangler`, ["dev", "-c", `${dir}/wrangler.toml`, "--ip", "127.0.0.1", "--port", String(port)], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
let log = "";
child.stdout.on("data", (d) => (log += d));
child.stderr.on("data", (d) => (log += d));
const url = (m) => `http://127.0.0.1:${port}/?m=${m}`;
try {
  for (let i = 0; ; i++) {
    if (i > 240) throw new Error(`wrangler dev did not start:\n${log}`);
    try {
      if ((await fetch(url("none"))).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  const names = ["none", ...present.map(([n]) => n)];
  const wall = Object.fromEntries(names.map((n) => [n, []]));
  const inside = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -3; r < rounds; r++) {
    for (const n of names) {
      const t = performance.now();
      const body = await (await fetch(url(n))).text();
      if (r < 0) continue;
      wall[n].push(performance.now() - t);
      if (n !== "none") inside[n].push(Number(body));
    }
  }
  const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const base = median(wall.none);
  console.log(`workerd (wrangler dev), ${rounds} interleaved rounds after 3 warm-ups; HTTP overhead (median of empty requests) ${base.toFixed(1)} ms subtracted`);
  const today = median(wall.today) - base;
  for (const n of names.slice(1)) {
    const ms = median(wall[n]) - base;
    console.log(`${n.padEnd(14)} ${ms.toFixed(1)} ms (x${(ms / today).toFixed(2)} today); clock inside the Worker: ${median(inside[n]).toFixed(1)} ms`);
  }
} finally {
  child.kill("SIGINT");
}
