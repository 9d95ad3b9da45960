// Chromium's fake camera plays a Y4M file. This writes one from a face picture in ../shared/data: frames of
// the face and, between them, a plain grey frame with no face, so that a test can take a picture of
// "nobody in view" as well as of the student. Chromium loops the file at its frame rate.
import { readFileSync, writeFileSync } from "node:fs";
import jpeg from "jpeg-js";

export const WIDTH = 640;
export const HEIGHT = 480;

type Rgba = { width: number; height: number; data: Uint8Array };

/** 4:2:0 planes (full-range BT.601, as `C420jpeg` means) of an RGBA picture of WIDTH x HEIGHT. */
function toI420(img: Rgba): Buffer {
  const { width: w, height: h, data } = img;
  const y = Buffer.alloc(w * h);
  const u = Buffer.alloc((w / 2) * (h / 2));
  const v = Buffer.alloc((w / 2) * (h / 2));
  for (let i = 0; i < w * h; i++) {
    const r = data[i * 4]!, g = data[i * 4 + 1]!, b = data[i * 4 + 2]!;
    y[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  for (let cy = 0; cy < h / 2; cy++) {
    for (let cx = 0; cx < w / 2; cx++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = ((cy * 2 + dy) * w + cx * 2 + dx) * 4;
        r += data[p]!; g += data[p + 1]!; b += data[p + 2]!;
      }
      r /= 4; g /= 4; b /= 4;
      const clamp = (x: number) => Math.max(0, Math.min(255, Math.round(x)));
      u[cy * (w / 2) + cx] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      v[cy * (w / 2) + cx] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  return Buffer.concat([y, u, v]);
}

/**
 * The picture as a camera would deliver it, frame after frame: each frame with its own sensor noise (up to
 * `noise` grey levels of luminance, a fixed sequence). A real camera never delivers the same frame twice, and the
 * service now takes identical frames for copies (a still picture looped through a virtual camera,
 * src/biometrics/repeats.ts), so a fake camera replaying one picture unchanged would be refused as one.
 */
function withSensorNoise(frame: Buffer, index: number, noise: number): Buffer {
  const out = Buffer.from(frame);
  let seed = 2654435761 * (index + 1);
  for (let i = 0; i < WIDTH * HEIGHT; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = Math.max(0, Math.min(255, out[i]! + ((seed >>> 16) % (2 * noise + 1)) - noise));
  }
  return out;
}

/**
 * Writes `out`: at `fps` frames per second, `faceFrames` frames of the JPEG `facePath` (640x480), each with its own
 * sensor noise, followed by `blankFrames` grey frames.
 */
export function writeFaceY4m(facePath: string, out: string, { fps = 2, faceFrames = 7, blankFrames = 1, noise = 2 } = {}): void {
  const img = jpeg.decode(readFileSync(facePath), { useTArray: true, formatAsRGBA: true });
  if (img.width !== WIDTH || img.height !== HEIGHT) throw new Error(`${facePath} is ${img.width}x${img.height}, expected ${WIDTH}x${HEIGHT}`);
  const face = toI420(img);
  const grey = Buffer.concat([Buffer.alloc(WIDTH * HEIGHT, 128), Buffer.alloc(WIDTH * HEIGHT / 2, 128)]);
  const frame = Buffer.from("FRAME\n");
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < faceFrames; i++) parts.push(frame, withSensorNoise(face, i, noise));
  for (let i = 0; i < blankFrames; i++) parts.push(frame, grey);
  writeFileSync(out, Buffer.concat(parts));
}
