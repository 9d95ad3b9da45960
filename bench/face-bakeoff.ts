// Face embedding model bake-off (issue 17 part 3): today's model against the candidates converted from
// npm (scripts/face-models/prepare-candidates.mjs), side by side:
//  - accuracy on the identity-disjoint LFW report half: FNMR at FMR 1e-3 and 1e-4, thresholds chosen on the
//    calibration half, from the embedding caches /tmp/face-embeddings/<name>.json (bench/face-bakeoff/embed.ts).
//    When bench/face-calibration.ts (branch face-cal) has scored a cache (<cache dir>/<name>.summary.json),
//    its figures are shown (the service's rounded thresholds); bench/face-bakeoff/score.ts's own figures
//    (exact thresholds, same split and pairs) are always shown beside them.
//  - embedding latency with onnxruntime-web (WASM, one thread) under Node, all models in one process and
//    interleaved round by round, so that the load of the shared machine falls on all of them alike;
//  - model sizes (float32 original and int8 as run, raw and gzip).
// Run: node scripts/face-models/prepare-candidates.mjs && npx tsx bench/face-bakeoff/embed.ts <name> (each)
//      npx tsx bench/face-bakeoff.ts [rounds=40]
import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createSession, initOrt } from "../src/inference/ort";
import { CANDIDATES } from "./face-bakeoff/candidates";
import { candidateCrop, frameOf, type Located } from "./face-bakeoff/faces";
import { nodeFace, SHARED } from "./node-face";
import { type Cache, score } from "./face-bakeoff/score";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const rounds = Number(process.argv[2] ?? 40);
const require = createRequire(import.meta.url);
initOrt(new Uint8Array(readFileSync(join(dirname(require.resolve("onnxruntime-web")), "..", "dist", "ort-wasm-simd-threaded.wasm"))));

const present = CANDIDATES.filter((c) => existsSync(c.file));
const sessions = await Promise.all(present.map(async (c) => ({ c, s: await createSession(new Uint8Array(readFileSync(c.file))) })));
const inputs = present.map((c) => Float32Array.from({ length: 3 * c.size * c.size }, (_, i) => Math.sin(i * 0.1)));
const wall = present.map(() => [] as number[]);
const cpu = present.map(() => [] as number[]);
for (let r = -3; r < rounds; r++) {
  for (let k = 0; k < sessions.length; k++) {
    const { c, s } = sessions[k]!;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run(inputs[k]!, [1, 3, c.size, c.size]);
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    if (r >= 0) {
      wall[k]!.push(dt);
      cpu[k]!.push((dc.user + dc.system) / 1000);
    }
  }
}
// int8 drift: cosine between the int8 and float32 embeddings of the same crops (30 located LFW faces).
const drift = new Map<string, string>();
const located = existsSync("/tmp/face-bakeoff/points.jsonl")
  ? readFileSync("/tmp/face-bakeoff/points.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l) as Located).filter((l) => l.points).slice(0, 30)
  : [];
if (located.length) {
  const { decoders } = await nodeFace();
  const frames = await Promise.all(located.map((l) => frameOf(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders, l.padded)));
  for (const { c, s } of sessions) {
    if (c.floatFile === c.file || !existsSync(c.floatFile)) continue;
    const f = await createSession(new Uint8Array(readFileSync(c.floatFile)));
    let min = 1;
    for (let i = 0; i < located.length; i++) {
      const crop = candidateCrop(frames[i]!, located[i]!.points!, c);
      const a = Object.values(await s.run(crop, [1, 3, c.size, c.size]))[0]!;
      const b = Object.values(await f.run(crop, [1, 3, c.size, c.size]))[0]!;
      let d = 0, na = 0, nb = 0;
      for (let k = 0; k < a.length; k++) { d += a[k]! * b[k]!; na += a[k]! ** 2; nb += b[k]! ** 2; }
      min = Math.min(min, d / Math.sqrt(na * nb));
    }
    drift.set(c.name, min.toFixed(4));
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const mb = (n: number) => (n / 1e6).toFixed(2);
const size = (f: string | null) => {
  if (!f || !existsSync(f)) return "-";
  const b = readFileSync(f);
  return `${mb(b.length)} (${mb(gzipSync(b).length)})`;
};
const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
const baseMs = median(cpu[0]!);

console.log(`Embedding latency: onnxruntime-web WASM, one thread, Node ${process.version}, ${rounds} interleaved rounds after 3 warm-ups; load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log("");
console.log("| model | dim | input | FNMR @ FMR 1e-3 (report half) | FNMR @ FMR 1e-4 | embed ms CPU (wall), median | x today | float32 MB (gzip) | int8 MB (gzip) | int8 vs float cosine, min | licence |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
const notes: string[] = [];
present.forEach((c, k) => {
  const cacheFile = `/tmp/face-embeddings/${c.name}.json`;
  let acc = ["not embedded", ""];
  let dim = "-";
  if (existsSync(cacheFile)) {
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as Cache;
    dim = String(cache.dim);
    const own = score(cache);
    const fmt = (i: number) => {
      const p = own.points[i]!;
      return `${pct(p.fnmr)} [${pct(p.fnmrCi[0])}, ${pct(p.fnmrCi[1])}] (${p.falseNonMatches}/${p.genuine})`;
    };
    acc = [fmt(0), fmt(1)];
    notes.push(`${c.name}: ${own.points.map((p) => `FMR target ${p.targetFmr}: threshold ${p.threshold.toFixed(4)}, report-half FMR ${(p.fmr * 1e4).toFixed(2)}e-4 [${(p.fmrCi[0] * 1e4).toFixed(2)}, ${(p.fmrCi[1] * 1e4).toFixed(2)}] (${p.falseMatches}/${p.impostor})`).join("; ")}; no usable face ${own.missing.calibration} + ${own.missing.report} of ${own.photos.calibration + own.photos.report}`);
    const summaryFile = `/tmp/face-embeddings/${c.name}.summary.json`;
    if (existsSync(summaryFile)) {
      const s = JSON.parse(readFileSync(summaryFile, "utf8"));
      type R = Record<string, { fnmr: { rate: number }; fmr: { rate: number } }> | undefined;
      const fr = (r: R, lvl: string) => (r?.[lvl] ? `${pct(r[lvl].fnmr.rate)} at FMR ${(r[lvl].fmr.rate * 1e4).toFixed(2)}e-4` : "-");
      const levels = (r: R) => `standard ${fr(r, "standard")}, high ${fr(r, "high")}`;
      notes.push(`  bench/face-calibration.ts, its operating points (thresholds ${s.chosen.map((x: { level: string; threshold: number }) => `${x.level} ${x.threshold}`).join(", ")}): photo vs photo ${levels(s.reportedPairs)}; 3-photo template vs photo ${levels(s.reported)}; report-half EER ${pct(s.eerReport)}`);
    }
  }
  const ms = median(cpu[k]!);
  console.log(`| ${c.name} | ${dim} | ${c.size}x${c.size} | ${acc[0]} | ${acc[1]} | ${ms.toFixed(1)} (${median(wall[k]!).toFixed(1)}) | ${(ms / baseMs).toFixed(2)} | ${size(c.floatFile)} | ${size(c.file)} | ${drift.get(c.name) ?? "-"} | ${c.licence} |`);
});
// Score fusions (bench/face-bakeoff/fuse.ts): accuracy only; their cost is the sum of their two models'.
for (const f of ["fusion-faceplugin+faceapi-znorm"]) {
  const file = `/tmp/face-embeddings/${f}.json`;
  if (!existsSync(file)) continue;
  const cache = JSON.parse(readFileSync(file, "utf8")) as Cache;
  const own = score(cache);
  const cell = (i: number) => `${pct(own.points[i]!.fnmr)} [${pct(own.points[i]!.fnmrCi[0])}, ${pct(own.points[i]!.fnmrCi[1])}] (${own.points[i]!.falseNonMatches}/${own.points[i]!.genuine})`;
  console.log(`| ${cache.model} | ${cache.dim} | both | ${cell(0)} | ${cell(1)} | sum of both rows | | | | | |`);
  notes.push(`${cache.model}: ${own.points.map((p) => `FMR target ${p.targetFmr}: threshold ${p.threshold.toFixed(4)}, report-half FMR ${(p.fmr * 1e4).toFixed(2)}e-4 (${p.falseMatches}/${p.impostor})`).join("; ")}`);
}
console.log("");
for (const n of notes) console.log(n);
