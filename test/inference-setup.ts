// Builds the face inference Worker once per test run (reused while its sources are unchanged) for the
// pool's auxiliary worker, and hands the slow face tests their pictures: workerd cannot read
// ../shared/data, so the files are read (or made from them) here and provided as base64.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { deflateSync } from "node:zlib";
import type { TestProject } from "vitest/node";
import { encodeWebp, onCanvas, readJpegRgb } from "./support/large-photo";

export const INFERENCE_BUILD = ".wrangler/inference-test";

declare module "vitest" {
  interface ProvidedContext {
    faceImages: Record<string, string>;
  }
}

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

export function buildInferenceWorker() {
  const out = join(INFERENCE_BUILD, "worker.js");
  const inputs = ["src/inference", "src/biometrics", "wasm-models", "package-lock.json"];
  if (existsSync(out) && statSync(out).mtimeMs > Math.max(...inputs.map(newestMtime))) return;
  execFileSync("node", ["scripts/prepare-models.mjs", "--if-missing"], { stdio: "inherit" });
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", resolve(INFERENCE_BUILD), // absolute: wrangler resolves it against the config folder
    "-c", "src/inference/wrangler.toml"], {
    stdio: "pipe",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false" },
  });
}

/** A plain grey-gradient PNG: a decodable picture with no face in it. */
function gradientPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) raw.fill((x + y) & 0xff, y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 4 + x * 3);
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const v of b) c = crcTable[(c ^ v) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

export default async function setup(project: TestProject) {
  buildInferenceWorker();
  const faces = join("..", "shared", "data", "faces");
  const files: Record<string, string> = {
    obama: "face_recognition/obama/obama.jpg",
    obama1: "face_recognition/obama/obama1.jpg",
    obama2: "face_recognition/obama/obama2.jpg",
    obama3: "face_recognition/obama/obama3.jpg",
    biden: "face_recognition/biden/biden.jpg",
    biden2: "face_recognition/biden/biden2.jpg",
    group: "face_recognition/_group/two_people.jpg",
  };
  const images: Record<string, string> = {};
  for (const [k, f] of Object.entries(files)) {
    const p = join(faces, f);
    if (existsSync(p)) images[k] = readFileSync(p).toString("base64");
  }
  images.gradient = gradientPng(320, 240).toString("base64");
  // WebPs: the shared 640x480 one, and a 9.7 MP one (a phone photo's size) made here.
  const small = join("..", "shared", "data", "media", "obama_640x480.webp");
  if (existsSync(small)) images.obamaWebp640 = readFileSync(small).toString("base64");
  const obama = join(faces, files.obama!);
  if (existsSync(obama)) images.obamaWebp9mp = Buffer.from(await encodeWebp(onCanvas(readJpegRgb(obama), 3600, 2700))).toString("base64");
  project.provide("faceImages", images);
}
