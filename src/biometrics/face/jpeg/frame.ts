// The state of one JPEG frame while its scans are read: components, their coefficient stores and the
// zigzag positions kept. Decoding at 1/d scale (d = 1, 2, 4, 8) needs only the top-left (8/d)x(8/d)
// coefficients of each 8x8 block (libjpeg's scale_denom), so only those are stored: a 48 MP photo at 1/8
// keeps one number per block (a few MB) instead of 64 (144 MB).

import { JpegError } from "./bits";

export const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

export type Component = {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks per line / column that hold picture data (a non-interleaved scan covers exactly these). */
  bw: number;
  bh: number;
  /** Blocks per line / column padded to whole MCUs (the store's layout). */
  bwPad: number;
  bhPad: number;
  /** Kept coefficients, n*n per block in natural (row-major) order, n = 8/d. */
  coef: Int16Array;
  /** Progressive only: one bit per zigzag position that is already non-zero (the refinement scans need it for all 64). */
  nonzero: Uint32Array | null;
  pred: number;
};

export type Frame = {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  hmax: number;
  vmax: number;
  mcusX: number;
  mcusY: number;
  /** Side of the output block: 8/d. */
  n: number;
  /** Store slot of each zigzag position, -1 for positions not kept; 80 entries so that a corrupt run past 63 reads -1. */
  slot: Int8Array;
};

/** Reads an SOF segment [p, end) and allocates the stores for output block side n. */
export function readFrame(d: Uint8Array, p: number, end: number, progressive: boolean, n: number, maxPixels: number): Frame {
  if (end - p < 6) throw new JpegError("short SOF");
  if (d[p] !== 8) throw new JpegError("only 8-bit JPEG is supported");
  const height = (d[p + 1]! << 8) | d[p + 2]!;
  const width = (d[p + 3]! << 8) | d[p + 4]!;
  const nc = d[p + 5]!;
  if (width < 1 || height < 1) throw new JpegError("JPEG without a height (DNL) or width");
  if (width * height > maxPixels) throw new JpegError(`the frame has ${width}x${height} pixels`);
  if ((nc !== 1 && nc !== 3) || end - p < 6 + 3 * nc) throw new JpegError("only grayscale and 3-component JPEG are supported");
  const raw: { id: number; h: number; v: number; tq: number }[] = [];
  for (let i = 0; i < nc; i++) {
    const q = p + 6 + 3 * i;
    const h = d[q + 1]! >> 4;
    const v = d[q + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegError("bad sampling factors");
    raw.push({ id: d[q]!, h, v, tq: d[q + 2]! & 3 });
  }
  // A single-component frame has one block per MCU whatever its sampling factors say (T.81 A.2.2).
  if (nc === 1) raw[0]!.h = raw[0]!.v = 1;
  const hmax = Math.max(...raw.map((c) => c.h));
  const vmax = Math.max(...raw.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  const components = raw.map((c) => {
    const bwPad = mcusX * c.h;
    const bhPad = mcusY * c.v;
    return {
      ...c,
      bw: Math.ceil(Math.ceil((width * c.h) / hmax) / 8),
      bh: Math.ceil(Math.ceil((height * c.v) / vmax) / 8),
      bwPad,
      bhPad,
      coef: new Int16Array(bwPad * bhPad * n * n),
      // At 1/8 the progressive AC scans are stepped over, so their history is never needed.
      nonzero: progressive && n > 1 ? new Uint32Array(bwPad * bhPad * 2) : null,
      pred: 0,
    };
  });
  const slot = new Int8Array(80).fill(-1);
  for (let z = 0; z < 64; z++) {
    const row = ZIGZAG[z]! >> 3;
    const col = ZIGZAG[z]! & 7;
    if (row < n && col < n) slot[z] = row * n + col;
  }
  return { width, height, progressive, components, hmax, vmax, mcusX, mcusY, n, slot };
}
