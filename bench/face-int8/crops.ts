// Aligned 112x112 face crops of the LFW CALIBRATION HALF only (identities sorted by name, even index: the split
// of bench/face-calibration.ts, so that the report half stays unseen by anything fitted here), cropped exactly
// as the service crops them for fr_feature. Faces are located with the service's detector and landmarks (the
// bake-off's cache /tmp/face-bakeoff/points.jsonl, filled when missing). Photos are taken one per person first,
// then a second per person, and so on, so that a sample spreads over people.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createSession, initOrt } from "../../src/inference/ort";
import { CANDIDATES } from "../face-bakeoff/candidates";
import { candidateCrop, frameOf, locateAll } from "../face-bakeoff/faces";
import { labels, nodeFace, SHARED } from "../node-face";

/** Crops number `skip` to `skip + count - 1` of the calibration-half order (photos without a face are passed over). */
export async function calibrationCrops(skip: number, count: number): Promise<{ file: string; crop: Float32Array }[]> {
  const rows = labels().filter((l) => l.role === "calibration");
  const ids = [...new Set(rows.map((r) => r.identity))].sort();
  const calHalf = new Set(ids.filter((_, i) => i % 2 === 0));
  const byId = new Map<string, typeof rows>();
  for (const r of rows.filter((r) => calHalf.has(r.identity)).sort((a, b) => (a.file < b.file ? -1 : 1))) (byId.get(r.identity) ?? byId.set(r.identity, []).get(r.identity)!).push(r);
  const ordered: typeof rows = [];
  for (let round = 0; ; round++) {
    const before = ordered.length;
    for (const list of byId.values()) if (list[round]) ordered.push(list[round]!);
    if (ordered.length === before) break;
  }
  const { decoders, models } = await nodeFace();
  const located = await locateAll(ordered, join(SHARED, "faces"), "/tmp/face-bakeoff/points.jsonl", decoders, models);
  // The face models start the runtime lazily; with every face already located it may not be started yet.
  const ortDist = join(dirname(createRequire(import.meta.url).resolve("onnxruntime-web")), "..", "dist");
  initOrt(new Uint8Array(readFileSync(join(ortDist, "ort-wasm-simd-threaded.wasm"))));
  const withFace = ordered.filter((r) => located.get(r.file)!.points);
  const out: { file: string; crop: Float32Array }[] = [];
  for (const r of withFace.slice(skip, skip + count)) {
    const l = located.get(r.file)!;
    const frame = await frameOf(new Uint8Array(readFileSync(join(SHARED, "faces", r.file))), decoders, l.padded);
    out.push({ file: r.file, crop: candidateCrop(frame, l.points!, CANDIDATES[0]!) });
  }
  return out;
}

/** Each crop's embedding by one model file's bytes (fr_feature's input: 1x3x112x112). */
export async function embedCrops(model: Uint8Array, crops: { crop: Float32Array }[]): Promise<Float32Array[]> {
  const session = await createSession(model);
  const out: Float32Array[] = [];
  for (const { crop } of crops) out.push(Object.values(await session.run(crop, [1, 3, 112, 112]))[0]!);
  return out;
}
