// Phone photos (issue 17): decode + verify time and peak memory of 12, 24 and 48 MP JPEGs (baseline and
// progressive), a 24 MP PNG, 12 and 24 MP lossy WebPs, and the heap of each WebP decoder alone: libwebp's
// scaled decoding (webp-scaled.wasm, what the service uses above 8 MP) and @jsquash/webp's whole decode.
// The pictures are a shared photo placed on a phone-sized canvas with sensor-like noise, written to a
// temporary folder (cached between runs). Each case runs in its own Node process so that its peak RSS
// (process.resourceUsage().maxRSS) is its own, though Node, onnxruntime-web and the models are most of it:
// what matters is that it does not grow with the picture.
//   npx tsx bench/face-large-photos.ts [--runs 3] [--dir /tmp/trustid-large-photos] [--only webp]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { addNoise, encodeJpeg, encodePng, encodeWebp, onCanvas, readJpegRgb } from "../test/support/large-photo";
import { nodeFace, SHARED } from "./node-face";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "3" }, dir: { type: "string", default: join(tmpdir(), "trustid-large-photos") }, case: { type: "string" }, "webp-alone": { type: "string" }, only: { type: "string" } } });
const SOURCE = join(SHARED, "faces/face_recognition/obama/obama.jpg");

type CaseResult = {
  file: string;
  mb: number;
  status: string;
  width?: number;
  height?: number;
  decodeMs: number[];
  decodeCpuMs: number[];
  totalMs: number[];
  cpuMs: number[];
  maxRssMb: number;
};

async function runCase(file: string): Promise<CaseResult> {
  const { analyseImageBytes } = await import("../src/biometrics/face/analyse");
  const { decodeImage } = await import("../src/biometrics/face/decode");
  const { decoders, models } = await nodeFace();
  const bytes = new Uint8Array(readFileSync(file));
  const out: CaseResult = { file, mb: bytes.length / 1e6, status: "", decodeMs: [], decodeCpuMs: [], totalMs: [], cpuMs: [], maxRssMb: 0 };
  await analyseImageBytes(bytes, decoders, models); // warm-up
  for (let i = 0; i < Number(args.runs); i++) {
    let cpu = process.cpuUsage();
    let t = performance.now();
    await decodeImage(bytes, decoders).catch(() => undefined);
    out.decodeMs.push(performance.now() - t);
    let c = process.cpuUsage(cpu);
    out.decodeCpuMs.push((c.user + c.system) / 1000);
    cpu = process.cpuUsage();
    t = performance.now();
    const r = await analyseImageBytes(bytes, decoders, models);
    out.totalMs.push(performance.now() - t);
    c = process.cpuUsage(cpu);
    out.cpuMs.push((c.user + c.system) / 1000);
    out.status = r.status;
    if (r.ok) {
      out.width = r.width;
      out.height = r.height;
    }
  }
  out.maxRssMb = process.resourceUsage().maxRSS / 1024;
  return out;
}

type WebpAlone = { mb: number; decodeMs: number; decodeCpuMs: number; heapMb?: number; maxRssMb: number };

/**
 * One WebP decoder alone in a process, one decode: its time, the process's peak RSS and, for libwebp's scaled
 * decoding, the size of its WASM heap afterwards (WASM memory never shrinks: that is the heap's peak).
 */
async function webpCase(file: string, decoder: string): Promise<WebpAlone> {
  const b = readFileSync(file);
  if (decoder === "scaled") {
    const { decodeIn } = await import("../src/biometrics/face/webp/scaled");
    const { headerSize } = await import("../src/biometrics/face/decode");
    const bytes = new Uint8Array(b);
    const { width, height } = headerSize(bytes, "webp")!;
    const d = Math.max(1, Math.floor(Math.max(width, height) / 800)); // as decodeImage chooses it
    const module = new WebAssembly.Module(readFileSync(new URL("../src/biometrics/face/webp/webp-scaled.wasm", import.meta.url)));
    const instance = await WebAssembly.instantiate(module, {});
    const [t, cpu] = [performance.now(), process.cpuUsage()];
    decodeIn(instance, bytes, Math.round(width / d), Math.round(height / d));
    const [decodeMs, c] = [performance.now() - t, process.cpuUsage(cpu)];
    const heapMb = (instance.exports.memory as WebAssembly.Memory).buffer.byteLength / 2 ** 20;
    return { mb: b.length / 1e6, decodeMs, decodeCpuMs: (c.user + c.system) / 1000, heapMb, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  }
  (globalThis as { ImageData?: unknown }).ImageData ??= class {
    constructor(public data: Uint8ClampedArray, public width: number, public height: number) {}
  };
  const dir = dirname(createRequire(import.meta.url).resolve("@jsquash/webp/package.json"));
  const dec = await import("@jsquash/webp/decode.js");
  await dec.init(new WebAssembly.Module(readFileSync(join(dir, "codec/dec/webp_dec.wasm"))));
  const [t, cpu] = [performance.now(), process.cpuUsage()];
  await dec.default(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const [decodeMs, c] = [performance.now() - t, process.cpuUsage(cpu)];
  return { mb: b.length / 1e6, decodeMs, decodeCpuMs: (c.user + c.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

async function makeFiles(dir: string): Promise<{ name: string; file: string }[]> {
  mkdirSync(dir, { recursive: true });
  const photo = readJpegRgb(SOURCE);
  const list: { name: string; file: string }[] = [];
  const make = async (name: string, w: number, h: number, kind: "base" | "prog" | "png" | "webp", noise = 6) => {
    const file = join(dir, `${name}.${kind === "png" ? "png" : kind === "webp" ? "webp" : "jpg"}`);
    if (!name.includes(args.only ?? "")) return; // --only: the other pictures are neither made nor run
    list.push({ name, file });
    if (existsSync(file)) return;
    const img = addNoise(onCanvas(photo, w, h), noise);
    let bytes: Uint8Array;
    if (kind === "png") bytes = encodePng(img, { colorType: 2 });
    else if (kind === "webp") bytes = await encodeWebp(img, { quality: 85 });
    else bytes = await encodeJpeg(img, { progressive: kind === "prog", quality: 90 });
    writeFileSync(file, bytes);
    console.error(`made ${file} (${(bytes.length / 1e6).toFixed(1)} MB)`);
  };
  // Phone sensor sizes: 12 MP 4032x3024, 24 MP 5712x4284, 48 MP 8064x6048 (4:3).
  await make("12mp-baseline", 4032, 3024, "base");
  await make("12mp-progressive", 4032, 3024, "prog");
  await make("24mp-baseline", 5712, 4284, "base");
  await make("24mp-progressive", 5712, 4284, "prog");
  await make("48mp-baseline", 8064, 6048, "base");
  await make("48mp-progressive", 8064, 6048, "prog");
  // Strong noise: a file as large as a real 48 MP phone JPEG (the entropy decoding grows with the bytes).
  await make("48mp-baseline-noisy", 8064, 6048, "base", 40);
  await make("24mp-png", 5712, 4200, "png");
  // WebP (lossy, libwebp at quality 85): 8 MP is the largest a whole decode was allowed.
  await make("8mp-webp", 3264, 2448, "webp");
  await make("12mp-webp", 4032, 3024, "webp");
  // 5712x4200: a "24 MP" sensor's 5712x4284 is 24.5 MP, above the 24 MP limit (as for PNG).
  await make("24mp-webp", 5712, 4200, "webp");
  return list;
}

if (args.case) {
  // A child process: one picture.
  const result = args["webp-alone"] ? await webpCase(args.case, args["webp-alone"]) : await runCase(args.case);
  console.log(JSON.stringify(result));
  process.exit(0);
}

const child = (file: string, extra: string[] = []) =>
  JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname, "--case", file, "--runs", args.runs, ...extra], { encoding: "utf8", maxBuffer: 1 << 20 })
      .trim()
      .split("\n")
      .pop()!,
  );
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "-");
console.log(`Runs per picture: ${args.runs} after a warm-up, medians. CPU ms = process CPU time (what the machine's load does not inflate as much as wall time).`);
console.log();
console.log(`| picture | file MB | result | decode CPU ms | decode wall ms | decode + verify CPU ms | decode + verify wall ms | process peak RSS MB |`);
console.log(`|---|---|---|---|---|---|---|---|`);
const row = (name: string, r: CaseResult) =>
  console.log(
    `| ${name} | ${r.mb.toFixed(1)} | ${r.status}${r.width ? ` ${r.width}x${r.height}` : ""} | ${f0(median(r.decodeCpuMs))} | ${f0(median(r.decodeMs))} | ${f0(median(r.cpuMs))} | ${f0(median(r.totalMs))} | ${f0(r.maxRssMb)} |`,
  );
row("obama.jpg 910x1137 (the normal path)", child(SOURCE) as CaseResult);
// Each WebP decoder alone in a process, one decode (a first one: it includes the WASM's warm-up): ours (webp-scaled.wasm, what the service runs)
// and, for comparison, @jsquash/webp's whole decode (what it ran before). The same process decoding a
// 640x480 WebP is the reference for what a large one adds to the peak RSS.
const alone = (label: string, file: string, decoder: "scaled" | "jsquash") => {
  const w = child(file, ["--webp-alone", decoder]) as WebpAlone;
  const what = decoder === "scaled" ? `libwebp scaled decoding (WASM heap ${w.heapMb!.toFixed(1)} MB)` : "@jsquash/webp decoding it whole";
  console.log(`| ${label}: ${what}, alone in a process | ${w.mb.toFixed(1)} | decoded | ${f0(w.decodeCpuMs)} | ${f0(w.decodeMs)} | - | - | ${f0(w.maxRssMb)} |`);
};
let webpReference = false;
for (const { name, file } of await makeFiles(args.dir)) {
  if (file.endsWith(".webp")) {
    if (!webpReference) {
      for (const decoder of ["scaled", "jsquash"] as const) alone("640x480 WebP", join(SHARED, "media/obama_640x480.webp"), decoder);
      webpReference = true;
    }
    alone(name, file, "scaled");
    if (name !== "12mp-webp") alone(name, file, "jsquash");
  }
  row(name, child(file) as CaseResult);
}
