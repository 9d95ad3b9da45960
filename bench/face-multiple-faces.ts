// Which shared photos the face pipeline calls multiple_faces (MODELS.md, "second face counts"): every photo of
// ../shared/data/faces outside LFW and every 8th LFW photo (668 in all), the status of each, and the photos counted
// as showing several faces with how many. Run it on two checkouts to see what a change of the rule moves.
//
//   npx tsx bench/face-multiple-faces.ts      # ~1-2 min
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../src/biometrics/face/decode";
import { analyseFace } from "../src/biometrics/face/pipeline";
import { labels, nodeFace, SHARED } from "./node-face";

const { decoders, models } = await nodeFace();
const all = labels();
const photos = [...all.filter((l) => l.source !== "lfw-deepfunneled"), ...all.filter((l) => l.source === "lfw-deepfunneled").filter((_, i) => i % 8 === 0)];
const statuses: Record<string, number> = {};
const several: string[] = [];
for (const l of photos) {
  const img = await decodeImage(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders);
  const a = await analyseFace(img.image, models, { width: img.width, height: img.height, reduction: img.reduction });
  statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  if (a.status === "multiple_faces") several.push(`${l.file} (${a.faces})`);
}
console.log(`${photos.length} photos: ${JSON.stringify(statuses)}`);
console.log(`multiple_faces (${several.length}):\n  ${several.join("\n  ")}`);
