// Blurred pictures: how sharp the aligned face is (pipeline.ts sharpnessOf) for sharp pictures and for the same
// pictures blurred, and how often a refusal would say "the picture looks blurred" (FACE_POLICY.blurredBelow).
// Wording only: the decision is the similarity's. A black-box probe found blurred genuine photos answered only
// "does not match". Pictures: the face_recognition and face-api.js sets and every 16th LFW picture; each blurred
// by a Gaussian of sigma = k % of the face's height (k = 0..4). "Refused" = similarity to the sharp picture's own
// embedding under the `high` threshold (0.44): the student's template stands in for the sharp picture.
//
//   npx tsx bench/face-blur.ts     (~6 min; prints the table of BENCHMARKS.md "Blurred pictures")
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../src/biometrics/face/decode";
import type { RgbImage } from "../src/biometrics/face/image";
import { FACE_OPERATING_POINTS } from "../src/biometrics/face/operating-points";
import { analyseFace, cosine } from "../src/biometrics/face/pipeline";
import { FACE_POLICY } from "../src/biometrics/face/policy";
import { labels, nodeFace, SHARED } from "./node-face";

const { decoders, models } = await nodeFace();

function gaussian(img: RgbImage, sigma: number): RgbImage {
  if (sigma <= 0) return img;
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const { width: W, height: H, data } = img;
  const tmp = new Float32Array(W * H * 3);
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r]! * data[(y * W + Math.min(W - 1, Math.max(0, x + i))) * 3 + c]!;
        tmp[(y * W + x) * 3 + c] = s / ks;
      }
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[(Math.min(H - 1, Math.max(0, y + i)) * W + x) * 3 + c]!;
        out[(y * W + x) * 3 + c] = Math.round(s / ks);
      }
  return { width: W, height: H, data: out };
}

const rows = labels().filter((l) => l.role !== "group_photo_unlabeled" && !l.file.startsWith("presentation"));
const picked = [...rows.filter((l) => !l.source.startsWith("lfw")), ...rows.filter((l) => l.source.startsWith("lfw")).filter((_, i) => i % 16 === 0)];
const LEVELS = [0, 1, 2, 3, 4];
const sharp = LEVELS.map(() => [] as number[]);
const sim = LEVELS.map(() => [] as number[]);
const refused = LEVELS.map(() => ({ n: 0, hinted: 0 }));
const accepted = LEVELS.map(() => ({ n: 0, hinted: 0 }));
const high = FACE_OPERATING_POINTS.high.threshold;
for (const l of picked) {
  const { image, reduction } = await decodeImage(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders);
  const a0 = await analyseFace(image, models);
  if (a0.status !== "ok" || !a0.box) continue;
  const faceHeight = a0.box.h / reduction;
  for (const [i, k] of LEVELS.entries()) {
    const a = k === 0 ? a0 : await analyseFace(gaussian(image, (k * faceHeight) / 100), models);
    if (a.status !== "ok" || a.sharpness === undefined || !a.embedding) continue;
    const s = cosine(a.embedding, a0.embedding!);
    sharp[i]!.push(a.sharpness);
    sim[i]!.push(s);
    const bucket = s < high ? refused[i]! : accepted[i]!;
    bucket.n++;
    if (a.sharpness < FACE_POLICY.blurredBelow) bucket.hinted++;
  }
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!.toFixed(3);
const share = (h: { n: number; hinted: number }) => (h.n ? `${((100 * h.hinted) / h.n).toFixed(1)} % (${h.hinted}/${h.n})` : "-");
console.log(`${picked.length} pictures; "looks blurred" under ${FACE_POLICY.blurredBelow}\n`);
console.log("| blur (sigma, % of face height) | faces | sharpness 1st pct / median / 95th pct | similarity to the sharp picture, median | refused at `high` | refusals that say \"blurred\" | accepted pictures under the line |");
console.log("|---|---|---|---|---|---|---|");
for (const [i, k] of LEVELS.entries()) {
  console.log(`| ${k === 0 ? "none" : `${k} %`} | ${sharp[i]!.length} | ${q(sharp[i]!, 0.01)} / ${q(sharp[i]!, 0.5)} / ${q(sharp[i]!, 0.95)} | ${q(sim[i]!, 0.5)} | ${refused[i]!.n} | ${share(refused[i]!)} | ${share(accepted[i]!)} |`);
}
