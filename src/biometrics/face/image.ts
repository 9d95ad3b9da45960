// Plain RGB images and the few operations the face pipeline needs (resize, pad, crop, sample).
// Hand-written: a few loops cost nothing in the bundle, an image library would cost hundreds of KiB.

/** 8-bit RGB, row-major, 3 bytes per pixel. */
export type RgbImage = { width: number; height: number; data: Uint8Array };

export function rgbFromRgba(width: number, height: number, rgba: ArrayLike<number>): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data };
}

/**
 * Bilinear sample of channel c at (x, y); coordinates outside the image clamp to the border, so crops
 * that leave the frame repeat the edge instead of adding black bars the models never saw.
 */
export function sample(img: RgbImage, x: number, y: number, c: number): number {
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  const cx = x < 0 ? 0 : x > maxX ? maxX : x;
  const cy = y < 0 ? 0 : y > maxY ? maxY : y;
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = x0 < maxX ? x0 + 1 : x0;
  const y1 = y0 < maxY ? y0 + 1 : y0;
  const fx = cx - x0;
  const fy = cy - y0;
  const d = img.data;
  const w = img.width;
  const a = d[(y0 * w + x0) * 3 + c]!;
  const b = d[(y0 * w + x1) * 3 + c]!;
  const e = d[(y1 * w + x0) * 3 + c]!;
  const f = d[(y1 * w + x1) * 3 + c]!;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (e * (1 - fx) + f * fx) * fy;
}

/**
 * Resizes to exactly width x height. When shrinking by more than 2x, pixels are first box-averaged so
 * the result is not aliased (plain bilinear would skip most of the source pixels).
 */
export function resize(img: RgbImage, width: number, height: number): RgbImage {
  let src = img;
  while (src.width >= width * 2 && src.height >= height * 2) src = halve(src);
  const out = new Uint8Array(width * height * 3);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const fy = (y + 0.5) * sy - 0.5;
    for (let x = 0; x < width; x++) {
      const fx = (x + 0.5) * sx - 0.5;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(sample(src, fx, fy, c));
    }
  }
  return { width, height, data: out };
}

function halve(img: RgbImage): RgbImage {
  const width = img.width >> 1;
  const height = img.height >> 1;
  const out = new Uint8Array(width * height * 3);
  const w = img.width;
  const d = img.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((2 * y) * w + 2 * x) * 3;
      const j = i + w * 3;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = (d[i + c]! + d[i + 3 + c]! + d[j + c]! + d[j + 3 + c]! + 2) >> 2;
    }
  }
  return { width, height, data: out };
}

/** Scales down (never up) so that the longer side is at most maxSide; returns the factor applied. */
export function fitWithin(img: RgbImage, maxSide: number): { image: RgbImage; scale: number } {
  const longest = Math.max(img.width, img.height);
  if (longest <= maxSide) return { image: img, scale: 1 };
  const scale = maxSide / longest;
  return { image: resize(img, Math.max(1, Math.round(img.width * scale)), Math.max(1, Math.round(img.height * scale))), scale };
}

/** A copy with a border of `fraction` of each side on every edge, filled with the mean colour. */
export function pad(img: RgbImage, fraction: number): { image: RgbImage; offsetX: number; offsetY: number } {
  const offsetX = Math.round(img.width * fraction);
  const offsetY = Math.round(img.height * fraction);
  const width = img.width + 2 * offsetX;
  const height = img.height + 2 * offsetY;
  const mean = [0, 0, 0];
  for (let i = 0; i < img.data.length; i += 3) for (let c = 0; c < 3; c++) mean[c]! += img.data[i + c]!;
  const n = img.width * img.height;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) for (let c = 0; c < 3; c++) data[i + c] = Math.round(mean[c]! / n);
  for (let y = 0; y < img.height; y++) {
    data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + offsetY) * width + offsetX) * 3);
  }
  return { image: { width, height, data }, offsetX, offsetY };
}

/**
 * The axis-aligned region [x, y, w, h] resized to outW x outH as planar float data, per channel
 * `(value - mean) / std`, channels in the given order (indices into R, G, B). Bilinear, with the source
 * columns and weights computed once per column: this runs on every request (the detector's input alone
 * is 77k pixels).
 */
export function cropToPlanar(
  img: RgbImage,
  region: { x: number; y: number; w: number; h: number },
  outW: number,
  outH: number,
  channels: readonly number[],
  mean: number,
  std: number,
): Float32Array {
  const out = new Float32Array(channels.length * outW * outH);
  const plane = outW * outH;
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  const d = img.data;
  const w = img.width;
  const sx = region.w / outW;
  const sy = region.h / outH;
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    let fx = region.x + (x + 0.5) * sx - 0.5;
    fx = fx < 0 ? 0 : fx > maxX ? maxX : fx;
    const x0 = Math.floor(fx);
    x0s[x] = x0 * 3;
    x1s[x] = (x0 < maxX ? x0 + 1 : x0) * 3;
    fxs[x] = fx - x0;
  }
  const inv = 1 / std;
  const nc = channels.length;
  for (let y = 0; y < outH; y++) {
    let fy = region.y + (y + 0.5) * sy - 0.5;
    fy = fy < 0 ? 0 : fy > maxY ? maxY : fy;
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    const row0 = y0 * w * 3;
    const row1 = (y0 < maxY ? y0 + 1 : y0) * w * 3;
    for (let x = 0; x < outW; x++) {
      const wx = fxs[x]!;
      const a = row0 + x0s[x]!, b = row0 + x1s[x]!, e = row1 + x0s[x]!, f = row1 + x1s[x]!;
      const o = y * outW + x;
      for (let k = 0; k < nc; k++) {
        const c = channels[k]!;
        const top = d[a + c]! + (d[b + c]! - d[a + c]!) * wx;
        const bottom = d[e + c]! + (d[f + c]! - d[e + c]!) * wx;
        out[k * plane + o] = (top + (bottom - top) * wy - mean) * inv;
      }
    }
  }
  return out;
}

/** Grayscale (ITU-R BT.601 luma) crop resized to outW x outH, values scaled by 1/scale. */
export function cropToGray(img: RgbImage, region: { x: number; y: number; w: number; h: number }, outW: number, outH: number, scale: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const sx = region.w / outW;
  const sy = region.h / outH;
  for (let y = 0; y < outH; y++) {
    const fy = region.y + (y + 0.5) * sy - 0.5;
    for (let x = 0; x < outW; x++) {
      const fx = region.x + (x + 0.5) * sx - 0.5;
      const v = 0.299 * sample(img, fx, fy, 0) + 0.587 * sample(img, fx, fy, 1) + 0.114 * sample(img, fx, fy, 2);
      out[y * outW + x] = Math.round(v) / scale;
    }
  }
  return out;
}
