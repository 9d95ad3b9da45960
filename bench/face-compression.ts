// JPEG blockiness of the face (pipeline.ts blockinessOf) on LFW photos as shipped and re-encoded at low qualities, for
// the "heavily compressed" wording of a refusal (FACE_POLICY.compressedAbove). Every 40th LFW photo (at most 60), the
// whole 250x250 picture, re-encoded with ImageMagick.
//
//   npx tsx bench/face-compression.ts      # ~30 s; needs ImageMagick's `convert`
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage } from "../src/biometrics/face/decode";
import { blockinessOf } from "../src/biometrics/face/pipeline";
import { labels, nodeFace, SHARED } from "./node-face";

const { decoders } = await nodeFace();
const tmp = mkdtempSync(join(tmpdir(), "face-compression-"));
const whole = async (bytes: Uint8Array) => {
  const { image } = await decodeImage(bytes, decoders);
  return blockinessOf(image, { x1: 0, y1: 0, x2: image.width, y2: image.height, score: 1 })!;
};
const photos = labels().filter((l) => l.source === "lfw-deepfunneled").filter((_, i) => i % 40 === 0).slice(0, 60);
const rows: Record<string, number[]> = { "as shipped": [], "quality 15": [], "quality 8": [], "quality 5": [] };
for (const l of photos) {
  const file = join(SHARED, "faces", l.file);
  rows["as shipped"]!.push(await whole(new Uint8Array(readFileSync(file))));
  for (const q of [15, 8, 5]) {
    execFileSync("convert", [file, "-quality", String(q), join(tmp, "q.jpg")]);
    rows[`quality ${q}`]!.push(await whole(new Uint8Array(readFileSync(join(tmp, "q.jpg")))));
  }
}
const at = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!.toFixed(2);
console.log("| photos | n | min | median | max |\n|---|---|---|---|---|");
for (const [name, a] of Object.entries(rows)) console.log(`| ${name} | ${a.length} | ${at(a, 0)} | ${at(a, 0.5)} | ${at(a, 1)} |`);
