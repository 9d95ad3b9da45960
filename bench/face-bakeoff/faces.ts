// Face location and candidate crops for the bake-off: the service's own steps (decode, bounded working copy,
// detector with the padded retry, 68 landmarks, 5 points; src/biometrics/face/pipeline.ts analyseFace) up to
// the alignment, so that every embedding model sees the same face. Only the crop differs per model.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { alignedTensor, fivePoints, type Point, REFERENCE_112, similarity } from "../../src/biometrics/face/align";
import { decodeImage, type Decoders } from "../../src/biometrics/face/decode";
import { decodeDetections } from "../../src/biometrics/face/detect";
import { cropToGray, cropToPlanar, fitWithin, pad, type RgbImage, sample } from "../../src/biometrics/face/image";
import type { FaceModelRunner } from "../../src/biometrics/face/pipeline";
import { FACE_POLICY } from "../../src/biometrics/face/policy";
import type { Candidate } from "./candidates";

export type Located = { file: string; identity: string; padded: boolean; points: Point[] | null };

/** The working frame the pipeline aligns from: decoded, bounded, padded when the face was found only there. */
export async function frameOf(bytes: Uint8Array, decoders: Decoders, padded: boolean): Promise<RgbImage> {
  const { image } = fitWithin((await decodeImage(bytes, decoders)).image, FACE_POLICY.workingMaxSide);
  return padded ? pad(image, FACE_POLICY.retryPadFraction).image : image;
}

async function detect(img: RgbImage, models: FaceModelRunner) {
  const input = cropToPlanar(img, { x: 0, y: 0, w: img.width, h: img.height }, 320, 240, [0, 1, 2], 127, 128);
  const { scores, boxes } = await models.detect(input);
  return decodeDetections(scores, boxes, img.width, img.height, FACE_POLICY.detectMinScore);
}

/** Detector + landmarks exactly as analyseFace runs them; null points when no face is found. */
export async function locate(bytes: Uint8Array, decoders: Decoders, models: FaceModelRunner): Promise<{ padded: boolean; points: Point[] | null }> {
  let frame = await frameOf(bytes, decoders, false);
  let faces = await detect(frame, models);
  let padded = false;
  if (faces.length === 0) {
    frame = pad(frame, FACE_POLICY.retryPadFraction).image;
    faces = await detect(frame, models);
    padded = faces.length > 0;
  }
  const best = faces[0];
  if (!best) return { padded: false, points: null };
  const side = Math.max(best.x2 - best.x1, best.y2 - best.y1);
  const x = (best.x1 + best.x2) / 2 - side / 2;
  const y = (best.y1 + best.y2) / 2 - side / 2;
  const out = await models.landmarks(cropToGray(frame, { x, y, w: side, h: side }, 64, 64, 256));
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) points.push({ x: x + out[i * 2]! * side, y: y + out[i * 2 + 1]! * side });
  return { padded, points: fivePoints(points) };
}

/** Locates every file once and keeps the result in a resumable JSON-lines cache (one line per file). */
export async function locateAll(rows: { file: string; identity: string }[], facesDir: string, cacheFile: string, decoders: Decoders, models: FaceModelRunner): Promise<Map<string, Located>> {
  mkdirSync(join(cacheFile, ".."), { recursive: true });
  const done = new Map<string, Located>();
  if (existsSync(cacheFile)) for (const line of readFileSync(cacheFile, "utf8").split("\n")) if (line.trim()) {
    const r = JSON.parse(line) as Located;
    done.set(r.file, r);
  }
  let n = 0;
  const t0 = Date.now();
  for (const r of rows) {
    if (done.has(r.file)) continue;
    const l = await locate(new Uint8Array(readFileSync(join(facesDir, r.file))), decoders, models);
    const rec: Located = { file: r.file, identity: r.identity, ...l };
    appendFileSync(cacheFile, JSON.stringify(rec) + "\n");
    done.set(r.file, rec);
    if (++n % 200 === 0) console.error(`located ${done.size}/${rows.length} (${((Date.now() - t0) / n).toFixed(0)} ms/photo)`);
  }
  return done;
}

/** The candidate's input: the face warped onto the scaled 112 reference points, planar, normalised. */
export function candidateCrop(frame: RgbImage, points: Point[], c: Candidate): Float32Array {
  // Today's model: byte-identical to the service's crop.
  if (c.size === 112 && c.scale === 1 && !c.shiftY && c.mean === 127 && c.std === 128 && c.channels.join() === "0,1,2") return alignedTensor(frame, points);
  const half = c.size / 2;
  const ref = REFERENCE_112.map((p) => ({ x: (p.x - 56) * c.scale + half, y: (p.y - 56 + (c.shiftY ?? 0)) * c.scale + half }));
  const { a, b, tx, ty } = similarity(points, ref);
  const det = a * a + b * b || 1;
  const size = c.size;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x - tx;
      const v = y - ty;
      const srcX = (a * u + b * v) / det;
      const srcY = (-b * u + a * v) / det;
      for (let k = 0; k < 3; k++) out[k * plane + y * size + x] = (sample(frame, srcX, srcY, c.channels[k]!) - c.mean) / c.std;
    }
  }
  return out;
}
