// The face pipeline, independent of where the models run: detect -> choose face -> 68 landmarks ->
// 5-point alignment -> embedding, and liveness on the original picture. Quality problems come back as
// a status (no_face, multiple_faces, face_too_small), never as a low similarity.
import { alignedTensor, fivePoints, type Point } from "./align";
import { type Box, decodeDetections } from "./detect";
import { cropToGray, cropToPlanar, fitWithin, pad, type RgbImage } from "./image";
import { FACE_POLICY } from "./policy";

/** Runs the four models on prepared inputs (implemented over onnxruntime in src/inference). */
export interface FaceModelRunner {
  /** [1,3,240,320] -> scores [N,2], boxes [N,4] */
  detect(input: Float32Array): Promise<{ scores: Float32Array; boxes: Float32Array }>;
  /** [1,1,64,64] -> 136 values (68 x, y pairs normalised to the crop) */
  landmarks(input: Float32Array): Promise<Float32Array>;
  /** [1,3,112,112] -> 512 */
  embed(input: Float32Array): Promise<Float32Array>;
  /** [1,3,128,128] BGR 0-255 -> 3 logits, class 0 = live */
  liveness(input: Float32Array): Promise<Float32Array>;
}

export type FaceStatus = "ok" | "no_face" | "multiple_faces" | "face_too_small";

export type FaceAnalysis = {
  status: FaceStatus;
  /** Faces counted by the multiple-face rule (detector score, relative size, and a face to the embedder). */
  faces: number;
  width: number;
  height: number;
  /** The chosen face in original pixel coordinates. */
  box?: { x: number; y: number; w: number; h: number; score: number };
  /** True when the face was found only after padding the picture (tight crop). */
  padded?: boolean;
  /** P(live) from the liveness model, and whether it passes the policy. */
  liveness?: number;
  live?: boolean;
  /** L2-normalised embedding (compare by dot product) and its raw length (a non-face check). */
  embedding?: number[];
  embeddingNorm?: number;
  /** How sharp the aligned face is (`sharpnessOf`); under FACE_POLICY.blurredBelow a refusal says the picture looks blurred. */
  sharpness?: number;
  /**
   * JPEG block edges on the face (`blockinessOf`), when the picture was analysed at its own size (the 8x8 grid is lost
   * when it is scaled); above FACE_POLICY.compressedAbove a refusal says the picture looks heavily compressed.
   */
  blockiness?: number;
  /** Milliseconds per stage (0 where the platform's clock does not advance during computation). */
  timings: Record<string, number>;
};

const now = () => performance.now();

/** The full-resolution picture that `original` was decoded from at 1/reduction scale (large JPEGs). */
export type SourceSize = { width: number; height: number; reduction: number };

export async function analyseFace(original: RgbImage, models: FaceModelRunner, source?: SourceSize): Promise<FaceAnalysis> {
  const timings: Record<string, number> = {};
  let t = now();
  const src = source ?? { width: original.width, height: original.height, reduction: 1 };
  const base: Pick<FaceAnalysis, "width" | "height" | "timings"> = { width: src.width, height: src.height, timings };
  // Work on a bounded copy: detection runs at 320x240 and the aligned crop is 112x112 anyway.
  const { image: work, scale: workScale } = fitWithin(original, FACE_POLICY.workingMaxSide);
  // Working pixels per original pixel: the box and the face-size rule are in the original's pixels.
  const scale = workScale / src.reduction;
  timings.resize = now() - t;

  t = now();
  let frame = work;
  let offsetX = 0;
  let offsetY = 0;
  let padded = false;
  let faces = await detectIn(frame, models);
  if (faces.length === 0) {
    // Tight crops that fill the frame are missed by the detector: retry on a padded copy.
    const p = pad(work, FACE_POLICY.retryPadFraction);
    faces = await detectIn(p.image, models);
    if (faces.length > 0) {
      frame = p.image;
      offsetX = p.offsetX;
      offsetY = p.offsetY;
      padded = true;
    }
  }
  timings.detect = now() - t;
  const best = faces[0];
  if (!best) return { ...base, status: "no_face", faces: 0 };

  const bestH = best.y2 - best.y1;
  const others = faces.filter((f) => f !== best && f.score >= FACE_POLICY.secondFaceMinScore && f.y2 - f.y1 >= FACE_POLICY.secondFaceMinRelativeSize * bestH);
  // Box in original pixels (undo padding and downscale, clamp to the picture).
  const ox1 = Math.max(0, (best.x1 - offsetX) / scale);
  const oy1 = Math.max(0, (best.y1 - offsetY) / scale);
  const ox2 = Math.min(src.width, (best.x2 - offsetX) / scale);
  const oy2 = Math.min(src.height, (best.y2 - offsetY) / scale);
  const box = { x: ox1, y: oy1, w: Math.max(0, ox2 - ox1), h: Math.max(0, oy2 - oy1), score: best.score };

  t = now();
  const landmarks = await landmarksOf(frame, best, models);
  timings.landmarks = now() - t;

  t = now();
  const aligned = alignedTensor(frame, fivePoints(landmarks));
  const raw = await models.embed(aligned);
  const norm = l2(raw);
  const embedding = Array.from(raw, (v) => v / (norm || 1));
  timings.embed = now() - t;

  // A second box the detector is less than sure of counts only if the embedder, too, sees a face in it: the
  // detector took a patch of a landscape painting behind a one-person portrait for a face (score 0.92, 0.8 of the
  // face's height), so the picture was refused as multiple_faces depending on its size. Partly hidden or blurred
  // people in the background are scored surer (0.96-1.00 in 668 shared photos) and still count, even where the
  // embedder finds them faint. Costs a landmark and an embedding run per such box, only when there is one.
  t = now();
  const isFaceToEmbedder = async (box: Box) => l2(await models.embed(alignedTensor(frame, fivePoints(await landmarksOf(frame, box, models))))) >= FACE_POLICY.minEmbeddingNorm;
  const counted = [best];
  for (const other of others) {
    if (other.score >= FACE_POLICY.secondFaceSureScore || (await isFaceToEmbedder(other))) counted.push(other);
  }
  timings.otherFaces = now() - t;

  t = now();
  // Liveness on the original picture (never on the padded copy), from the box in working coordinates.
  const livenessBox: Box = { x1: best.x1 - offsetX, y1: best.y1 - offsetY, x2: best.x2 - offsetX, y2: best.y2 - offsetY, score: best.score };
  const liveness = await livenessOf(work, livenessBox, models);
  timings.liveness = now() - t;

  let status: FaceStatus = "ok";
  if (norm < FACE_POLICY.minEmbeddingNorm) status = "no_face"; // a detector false positive: not a face to the embedder
  else if (Math.min(box.w, box.h) < FACE_POLICY.minFaceSidePx) status = "face_too_small";
  else if (counted.length > 1) status = "multiple_faces";
  return {
    ...base,
    status,
    faces: status === "no_face" ? 0 : counted.length,
    box,
    padded,
    liveness,
    live: liveness >= FACE_POLICY.livenessThreshold,
    embedding,
    embeddingNorm: norm,
    sharpness: sharpnessOf(aligned),
    ...(scale === 1 ? { blockiness: blockinessOf(work, { x1: best.x1 - offsetX, y1: best.y1 - offsetY, x2: best.x2 - offsetX, y2: best.y2 - offsetY, score: best.score }) } : {}),
  };
}

/**
 * How strongly the face region shows JPEG's 8x8 blocks: the mean luma step across block edges over the mean step inside
 * blocks (1 when there is no grid). 60 LFW photos as shipped measure 1.07-1.40; re-encoded at quality 15 / 8 / 5 they
 * measure 1.82-2.73 / 2.33-4.11 / 2.97-5.90 (a probe's genuine quality-5 photos were refused as plain mismatches).
 * Only meaningful on the picture's own pixels (the grid starts at its top-left corner).
 */
export function blockinessOf(img: RgbImage, box: Box): number | undefined {
  const x1 = Math.max(0, Math.floor(box.x1));
  const y1 = Math.max(0, Math.floor(box.y1));
  const x2 = Math.min(img.width, Math.ceil(box.x2));
  const y2 = Math.min(img.height, Math.ceil(box.y2));
  if (x2 - x1 < 16 || y2 - y1 < 16) return undefined;
  const luma = (x: number, y: number) => {
    const i = (y * img.width + x) * 3;
    return 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
  };
  let edge = 0;
  let edges = 0;
  let inner = 0;
  let inners = 0;
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      const here = luma(x, y);
      if (x + 1 < x2) {
        const d = Math.abs(luma(x + 1, y) - here);
        if (x % 8 === 7) (edge += d), edges++;
        else (inner += d), inners++;
      }
      if (y + 1 < y2) {
        const d = Math.abs(luma(x, y + 1) - here);
        if (y % 8 === 7) (edge += d), edges++;
        else (inner += d), inners++;
      }
    }
  }
  return edges === 0 || inners === 0 ? undefined : edge / edges / (inner / inners + 1e-6);
}

/**
 * Sharpness of the aligned 112x112 face (planar RGB, as alignedTensor makes it): the mean absolute Laplacian of its
 * luminance inside a 12-pixel margin, over the luminance's standard deviation, so that light and contrast do not
 * count, only edges. Measured on the aligned crop, so the face's size in the picture does not count either. Sharp
 * LFW faces: 1st percentile 0.080; blurred by a Gaussian of 2 % of the face's height (where similarity to the sharp
 * picture falls to a median of 0.69): median 0.044 (`npx tsx bench/face-blur.ts`, BENCHMARKS.md "Blurred pictures").
 */
export function sharpnessOf(t: Float32Array, size = 112): number {
  const plane = size * size;
  const lum = new Float32Array(plane);
  for (let i = 0; i < plane; i++) lum[i] = (t[i]! + t[plane + i]! + t[2 * plane + i]!) / 3;
  let sum = 0;
  let sum2 = 0;
  let lap = 0;
  let n = 0;
  for (let y = 12; y < size - 12; y++) {
    for (let x = 12; x < size - 12; x++) {
      const v = lum[y * size + x]!;
      sum += v;
      sum2 += v * v;
      n++;
      lap += Math.abs(4 * v - lum[(y - 1) * size + x]! - lum[(y + 1) * size + x]! - lum[y * size + x - 1]! - lum[y * size + x + 1]!);
    }
  }
  const sd = Math.sqrt(Math.max(1e-9, sum2 / n - (sum / n) ** 2));
  return lap / n / sd;
}

async function detectIn(img: RgbImage, models: FaceModelRunner): Promise<Box[]> {
  const input = cropToPlanar(img, { x: 0, y: 0, w: img.width, h: img.height }, 320, 240, [0, 1, 2], 127, 128);
  const { scores, boxes } = await models.detect(input);
  return decodeDetections(scores, boxes, img.width, img.height, FACE_POLICY.detectMinScore);
}

async function landmarksOf(img: RgbImage, box: Box, models: FaceModelRunner): Promise<Point[]> {
  const side = Math.max(box.x2 - box.x1, box.y2 - box.y1);
  const x = (box.x1 + box.x2) / 2 - side / 2;
  const y = (box.y1 + box.y2) / 2 - side / 2;
  const out = await models.landmarks(cropToGray(img, { x, y, w: side, h: side }, 64, 64, 256));
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) points.push({ x: x + out[i * 2]! * side, y: y + out[i * 2 + 1]! * side });
  return points;
}

async function livenessOf(img: RgbImage, box: Box, models: FaceModelRunner): Promise<number> {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  // The crop is 2.7x the box, shrunk to fit the picture and shifted inside it (as the model was trained).
  const s = Math.min((img.height - 1) / h, (img.width - 1) / w, 2.7);
  const cw = w * s;
  const ch = h * s;
  let x = (box.x1 + box.x2) / 2 - cw / 2;
  let y = (box.y1 + box.y2) / 2 - ch / 2;
  x = Math.min(Math.max(0, x), img.width - 1 - cw);
  y = Math.min(Math.max(0, y), img.height - 1 - ch);
  const logits = await models.liveness(cropToPlanar(img, { x: Math.max(0, x), y: Math.max(0, y), w: cw, h: ch }, 128, 128, [2, 1, 0], 0, 1));
  const m = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  return e[0]! / e.reduce((a, b) => a + b, 0);
}

function l2(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
