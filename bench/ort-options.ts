// onnxruntime-web session options side by side (issue 14 part 4, and the session part of part 3): for each
// variant, fresh Node processes (a cold runtime each time) time the runtime's start, the four face sessions'
// creation and their first runs (the cold path of a first face_verify), then the warm per-model latency, and
// check that the outputs equal those of the current settings. Variants run alternately, `--repeat` times, so
// that the machine's load falls on all of them alike. Cold figures are wall and CPU ms (process.cpuUsage, all threads:
// V8's background compilation of the WASM code included); warm figures are CPU ms per run (median), because wall
// time is inflated by the other jobs on the 2 cores while a process's CPU time is not (much).
//
//   npx tsx bench/ort-options.ts [--repeat 3] [--runs 30] [--only all,basic]
//   ORT_NODE_DIR=/tmp/ortnode npx tsx bench/ort-options.ts   # + native onnxruntime-node reference and the
//        variants on models pre-optimised offline by it (onnxruntime-node 1.30.0 installed outside the repo
//        with `npm install --ignore-scripts`; it is not a project dependency)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceSession } from "onnxruntime-web";

const MODELS = ["fr_detect", "fr_landmark", "fr_feature", "fr_liveness"] as const;
const DIMS: Record<string, number[]> = { fr_detect: [1, 3, 240, 320], fr_landmark: [1, 1, 64, 64], fr_feature: [1, 3, 112, 112], fr_liveness: [1, 3, 128, 128] };
const PREOPT_DIR = join("node_modules", ".cache", "ort-preoptimised");

type Variant = {
  name: string;
  level: "disabled" | "basic" | "extended" | "all";
  /** Models read from here instead of wasm-models/ (pre-optimised offline). */
  dir?: string;
  options?: Partial<InferenceSession.SessionOptions>;
};
const VARIANTS: Variant[] = [
  { name: "all (current)", level: "all" },
  { name: "extended", level: "extended" },
  { name: "basic", level: "basic" },
  { name: "disabled", level: "disabled" },
  { name: "all, no mem pattern, no arena", level: "all", options: { enableMemPattern: false, enableCpuMemArena: false } },
  // Constant-folds the weights' DequantizeLinear at load: float weights in memory, no dequantization per run.
  { name: "all, DQ folded at load", level: "all", options: { extra: { session: { disable_quant_qdq: "1" } } } },
  { name: "pre-optimised basic (node), disabled", level: "disabled", dir: join(PREOPT_DIR, "basic") },
  { name: "pre-optimised extended (node), disabled", level: "disabled", dir: join(PREOPT_DIR, "extended") },
  { name: "pre-optimised extended+DQ folded (node), disabled", level: "disabled", dir: join(PREOPT_DIR, "extended-dqfold") },
];

const input = (m: string) => new Float32Array(DIMS[m]!.reduce((a, b) => a * b)).map((_, i) => Math.sin(i * 0.37) * 0.5 + (m === "fr_liveness" ? 0.5 : 0) * 255);

// ---- child: one cold measurement of one variant ----
async function child(variant: Variant, runs: number) {
  const require = createRequire(import.meta.url);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ort = await import("onnxruntime-web/wasm");
  const ortDist = join(dirname(require.resolve("onnxruntime-web")), "..", "dist");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = new Uint8Array(readFileSync(join(ortDist, "ort-wasm-simd-threaded.wasm")));
  const marks: Record<string, { wall: number; cpu: number }> = {};
  let lastWall = t0;
  let lastCpu = process.cpuUsage();
  const mark = (name: string) => {
    const d = process.cpuUsage(lastCpu);
    marks[name] = { wall: performance.now() - lastWall, cpu: (d.user + d.system) / 1000 };
    lastWall = performance.now();
    lastCpu = process.cpuUsage();
  };
  const options = { executionProviders: ["wasm"], graphOptimizationLevel: variant.level, ...variant.options } as InferenceSession.SessionOptions;
  const bytes = (m: string) => new Uint8Array(readFileSync(join(variant.dir ?? "wasm-models", `${m}.onnx`)));
  // The runtime's start (WASM instantiation, ORT init) with the smallest model, as the worker's voice path does.
  await ort.InferenceSession.create(new Uint8Array(readFileSync("wasm-models/voice-lda.onnx")), options);
  mark("runtime");
  const sessions: Record<string, InferenceSession> = {};
  for (const m of MODELS) {
    sessions[m] = await ort.InferenceSession.create(bytes(m), options);
    mark(`create ${m}`);
  }
  const outputs: Record<string, number[]> = {};
  const run = async (m: string) => {
    const s = sessions[m]!;
    const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor("float32", input(m), DIMS[m]!) });
    return Array.from(r[s.outputNames[0]!]!.data as Float32Array);
  };
  for (const m of MODELS) {
    outputs[m] = await run(m);
    mark(`first run ${m}`);
  }
  const cold = { wall: performance.now() - t0, cpu: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000 };
  const warm: Record<string, number> = {};
  for (const m of MODELS) {
    for (let i = 0; i < 5; i++) await run(m);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = process.cpuUsage();
      await run(m);
      const d = process.cpuUsage(c);
      times.push((d.user + d.system) / 1000);
    }
    warm[m] = median(times);
  }
  process.stdout.write(JSON.stringify({ marks, cold, warm, outputs }));
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ---- pre-optimised models and the native reference (onnxruntime-node, when ORT_NODE_DIR has it) ----
async function ortNode() {
  const dir = process.env.ORT_NODE_DIR;
  if (!dir) return undefined;
  return createRequire(join(dir, "package.json"))("onnxruntime-node");
}

async function preoptimise(node: any) {
  const kinds: [string, string, Record<string, string>][] = [
    ["basic", "basic", {}],
    ["extended", "extended", {}],
    ["extended-dqfold", "extended", { "session.disable_quant_qdq": "1" }],
  ];
  for (const [name, level, extra] of kinds) {
    mkdirSync(join(PREOPT_DIR, name), { recursive: true });
    for (const m of MODELS) {
      const out = join(PREOPT_DIR, name, `${m}.onnx`);
      if (existsSync(out)) continue;
      // Unflattened config keys as onnxruntime-node's `extra` expects ({session: {disable_quant_qdq}}).
      const nested: Record<string, Record<string, string>> = {};
      for (const [k, v] of Object.entries(extra)) {
        const [a, b] = k.split(".") as [string, string];
        (nested[a] ??= {})[b] = v;
      }
      await node.InferenceSession.create(join("wasm-models", `${m}.onnx`), { graphOptimizationLevel: level, optimizedModelFilePath: out, intraOpNumThreads: 1, interOpNumThreads: 1, extra: nested });
    }
  }
}

async function nativeWarm(node: any, runs: number) {
  const warm: Record<string, number> = {};
  for (const m of MODELS) {
    const s = await node.InferenceSession.create(join("wasm-models", `${m}.onnx`), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" });
    const feeds = { [s.inputNames[0]]: new node.Tensor("float32", input(m), DIMS[m]) };
    for (let i = 0; i < 5; i++) await s.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = process.cpuUsage();
      await s.run(feeds);
      const d = process.cpuUsage(c);
      times.push((d.user + d.system) / 1000);
    }
    warm[m] = median(times);
  }
  return warm;
}

// ---- parent ----
const args = process.argv.slice(2);
const arg = (name: string, def: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : def);
if (args[0] === "--child") {
  await child(JSON.parse(args[1]!), Number(args[2]));
} else {
  const repeat = Number(arg("repeat", "3"));
  const runs = Number(arg("runs", "30"));
  const only = arg("only", "");
  const node = await ortNode();
  if (node) await preoptimise(node);
  const variants = VARIANTS.filter((v) => (!v.dir || node) && (!only || only.split(",").some((o) => v.name.startsWith(o))));
  const self = fileURLToPath(import.meta.url);
  const results = new Map<string, any[]>();
  const load: string[] = [];
  let native: Record<string, number>[] = [];
  for (let r = 0; r < repeat; r++) {
    load.push(readFileSync("/proc/loadavg", "utf8").split(" ")[0]!);
    for (const v of variants) {
      try {
        const out = execFileSync(process.execPath, ["--import", "tsx", self, "--child", JSON.stringify(v), String(runs)], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
        (results.get(v.name) ?? results.set(v.name, []).get(v.name)!).push(JSON.parse(out));
      } catch (e) {
        console.log(`${v.name}: failed: ${String((e as { stderr?: string }).stderr ?? e).split("\n").find((l) => /error/i.test(l)) ?? e}`);
        results.set(v.name, []);
      }
    }
    if (node) native.push(await nativeWarm(node, runs));
  }
  const ref = results.get(VARIANTS[0]!.name)?.[0]?.outputs;
  const maxDiff = (a: Record<string, number[]>) =>
    ref ? Math.max(...MODELS.map((m) => Math.max(...a[m]!.map((x, i) => Math.abs(x - ref[m]![i]!))))) : NaN;
  const f = (x: number) => x.toFixed(1);
  console.log(`repeat ${repeat} (fresh process each), warm medians of ${runs} runs; load average at each repeat: ${load.join(", ")}`);
  console.log("| variant | cold: runtime + 4 sessions + first runs, wall / CPU ms | of which session creation CPU | first runs CPU | warm CPU ms: detect | landmarks | embed | liveness | max abs output diff vs current |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const [name, rs] of results) {
    if (rs.length === 0) continue;
    const med = (fn: (x: any) => number) => median(rs.map(fn));
    const sum = (x: any, prefix: string) => MODELS.reduce((s, m) => s + x.marks[`${prefix} ${m}`].cpu, 0);
    console.log(
      `| ${name} | ${f(med((x) => x.cold.wall))} / ${f(med((x) => x.cold.cpu))} | ${f(med((x) => sum(x, "create")))} | ${f(med((x) => sum(x, "first run")))} | ` +
        `${MODELS.map((m) => f(med((x) => x.warm[m]))).join(" | ")} | ${maxDiff(rs[0].outputs).toExponential(1)} |`,
    );
  }
  if (native.length) console.log(`| onnxruntime-node native, 1 thread (reference) | - | - | - | ${MODELS.map((m) => f(median(native.map((n) => n[m]!)))).join(" | ")} | - |`);
  else console.log("(no native reference: set ORT_NODE_DIR to a folder with onnxruntime-node installed)");
}
