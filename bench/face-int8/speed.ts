// CPU ms per run of embedding-model files side by side (issue 14 part 4): each file runs in fresh Node
// processes with onnxruntime-web (WASM, one thread, optimisation "all": the service's settings), files
// alternately, `--repeat` times, so the load of the shared machine falls on all alike. Figures are the process's
// CPU time per run (median of `--runs` after 5 warm-ups), as in bench/ort-options.ts: far less inflated by the
// other jobs than wall time. With ORT_NODE_DIR (onnxruntime-node installed outside the repo, as for
// ort-options.ts) each file also runs natively on one thread, for the "x native" column.
//
//   npx tsx bench/face-int8/speed.ts [--repeat 3] [--runs 40] [--dims 1,3,112,112] [--level all] file.onnx ...
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (k: string, d: string) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1]! : d);
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timeRuns(run: () => Promise<unknown>, runs: number) {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    await run();
    const d = process.cpuUsage(c);
    times.push((d.user + d.system) / 1000);
  }
  return median(times);
}

async function child(file: string, native: boolean, runs: number, dims: number[], level: string) {
  const input = new Float32Array(dims.reduce((a, b) => a * b)).map((_, i) => Math.sin(i * 0.37) * 0.5);
  let ort: any;
  let options: object;
  if (native) {
    ort = createRequire(join(process.env.ORT_NODE_DIR!, "package.json"))("onnxruntime-node");
    options = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: level };
  } else {
    ort = await import("onnxruntime-web/wasm");
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    const dist = join(dirname(createRequire(import.meta.url).resolve("onnxruntime-web")), "..", "dist");
    ort.env.wasm.wasmBinary = new Uint8Array(readFileSync(join(dist, "ort-wasm-simd-threaded.wasm")));
    options = { executionProviders: ["wasm"], graphOptimizationLevel: level };
  }
  const s = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)), options);
  const feeds = { [s.inputNames[0]]: new ort.Tensor("float32", input, dims) };
  const ms = await timeRuns(() => s.run(feeds), runs);
  const out = Array.from((await s.run(feeds))[s.outputNames[0]].data as Float32Array);
  process.stdout.write(JSON.stringify({ ms, out }));
}

if (args[0] === "--child") {
  await child(args[1]!, args[2] === "native", Number(args[3]), args[4]!.split(",").map(Number), args[5]!);
} else {
  const repeat = Number(opt("repeat", "3"));
  const runs = opt("runs", "40");
  const dims = opt("dims", "1,3,112,112");
  const level = opt("level", "all");
  const files = args.filter((a, i) => a.endsWith(".onnx") && !["--repeat", "--runs", "--dims", "--level"].includes(args[i - 1]!));
  const kinds = process.env.ORT_NODE_DIR ? ["wasm", "native"] : ["wasm"];
  const self = fileURLToPath(import.meta.url);
  const res = new Map<string, { ms: number[]; out: number[] }>();
  const load: string[] = [];
  for (let r = 0; r < repeat; r++) {
    load.push(readFileSync("/proc/loadavg", "utf8").split(" ")[0]!);
    for (const f of files) for (const k of kinds) {
      const key = `${f} ${k}`;
      try {
        const o = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", self, "--child", f, k, runs, dims, level], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] }));
        const e = res.get(key) ?? res.set(key, { ms: [], out: o.out }).get(key)!;
        e.ms.push(o.ms);
      } catch (e) {
        console.log(`${key}: failed: ${String((e as { stderr?: string }).stderr ?? e).split("\n").find((l) => /error/i.test(l)) ?? e}`);
      }
    }
  }
  const cos = (a: number[], b: number[]) => {
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! * a[i]!), (bb += b[i]! * b[i]!);
    return ab / Math.sqrt(aa * bb);
  };
  const ref = res.get(`${files[0]} wasm`)?.out;
  console.log(`optimisation level ${level}; repeat ${repeat} (fresh process each), median of ${runs} runs after 5 warm-ups; load average at each repeat: ${load.join(", ")}`);
  console.log("| file | WASM CPU ms/run (median of repeats) | per repeat | native CPU ms | x native | output cosine to the first file (synthetic input) |");
  console.log("|---|---|---|---|---|---|");
  for (const f of files) {
    const w = res.get(`${f} wasm`);
    const n = res.get(`${f} native`);
    if (!w) continue;
    const wm = median(w.ms);
    const nm = n ? median(n.ms) : NaN;
    console.log(`| ${f} | ${wm.toFixed(1)} | ${w.ms.map((x) => x.toFixed(1)).join(", ")} | ${n ? nm.toFixed(1) : "-"} | ${n ? (wm / nm).toFixed(1) : "-"} | ${ref ? cos(ref, w.out).toFixed(4) : "-"} |`);
  }
}
