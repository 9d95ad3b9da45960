// Embeds the LFW calibration photos (../shared/data/faces/labels.csv, role `calibration`) with one bake-off
// candidate and writes the shared cache format to /tmp/face-embeddings/<name>.json:
//   {"model", "dim", "items": [{"file", "identity", "embedding": number[] | null}]}
// Faces are located once (detector + landmarks of the service, cached in /tmp/face-bakeoff/points.jsonl).
// `embedding` is null when the service finds no usable face: no face located, or (when the current model's
// cache of bench/face-calibration exists) the service's own status was not `ok` for that photo, so every
// model is scored on the same photos.
//   npx tsx bench/face-bakeoff/embed.ts <candidate> [--tune-sample N --scale S --mean M --std D --bgr --out FILE]
//        [--file F.onnx --name NAME]  (another file with the candidate's input contract, e.g. a re-quantized
//        today's model: bench/face-int8; NAME names the cache)
// --tune-sample N embeds only the first N identities of the CALIBRATION half (identities sorted, even index),
// for choosing a candidate's crop and normalisation without touching the report half.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { createSession, initOrt } from "../../src/inference/ort";
import { labels, nodeFace, SHARED } from "../node-face";
import { candidate, CANDIDATES } from "./candidates";
import { candidateCrop, frameOf, locateAll } from "./faces";

const args = process.argv.slice(2);
const opt = (k: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const base = candidate(args[0] ?? "");
const c = {
  ...base,
  name: opt("name") ?? base.name,
  file: opt("file") ?? base.file,
  scale: Number(opt("scale") ?? base.scale),
  mean: Number(opt("mean") ?? base.mean),
  std: Number(opt("std") ?? base.std),
  channels: args.includes("--bgr") ? ([2, 1, 0] as const) : base.channels,
};
const tuneSample = opt("tune-sample") ? Number(opt("tune-sample")) : null;
const outFile = opt("out") ?? `/tmp/face-embeddings/${c.name}.json`;

let rows = labels().filter((l) => l.role === "calibration");
if (tuneSample !== null) {
  const ids = [...new Set(rows.map((r) => r.identity))].sort();
  const calHalf = new Set(ids.filter((_, i) => i % 2 === 0).slice(0, tuneSample));
  rows = rows.filter((r) => calHalf.has(r.identity));
}
const { decoders, models } = await nodeFace();
const located = await locateAll(rows, join(SHARED, "faces"), "/tmp/face-bakeoff/points.jsonl", decoders, models);

// The service's own verdict per photo (status ok or not), from the current model's shared cache.
const refFile = `/tmp/face-embeddings/${CANDIDATES[0]!.name}.json`;
const serviceOk = existsSync(refFile)
  ? new Map((JSON.parse(readFileSync(refFile, "utf8")).items as { file: string; embedding: unknown }[]).map((i) => [i.file, i.embedding !== null]))
  : null;
if (!serviceOk) console.error(`(${refFile} not there yet: null only where no face is located)`);

// The face models start the runtime lazily: with every face already located it may not be started yet.
const ortDist = join(dirname(createRequire(import.meta.url).resolve("onnxruntime-web")), "..", "dist");
initOrt(new Uint8Array(readFileSync(join(ortDist, "ort-wasm-simd-threaded.wasm"))));
const session = await createSession(new Uint8Array(readFileSync(c.file)));
const items: { file: string; identity: string; embedding: number[] | null }[] = [];
const t0 = Date.now();
for (const r of rows) {
  const l = located.get(r.file)!;
  let embedding: number[] | null = null;
  if (l.points && (serviceOk?.get(r.file) ?? true)) {
    const frame = await frameOf(new Uint8Array(readFileSync(join(SHARED, "faces", r.file))), decoders, l.padded);
    const raw = Object.values(await session.run(candidateCrop(frame, l.points, c), [1, 3, c.size, c.size]))[0]!;
    let norm = 0;
    for (const v of raw) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    embedding = Array.from(raw, (v) => Math.round((v / norm) * 1e6) / 1e6);
  }
  items.push({ file: r.file, identity: r.identity, embedding });
  if (items.length % 500 === 0) console.error(`${c.name}: ${items.length}/${rows.length} (${((Date.now() - t0) / items.length).toFixed(0)} ms/photo)`);
}
const dim = items.find((i) => i.embedding)?.embedding!.length ?? 0;
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ model: c.name, dim, items }));
console.log(`${outFile}: ${items.length} photos, ${items.filter((i) => !i.embedding).length} without a usable face, dim ${dim}`);
