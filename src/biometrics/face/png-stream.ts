// PNG decoding row by row with box downscaling on the fly, for pictures too large to hold whole: a 24 MP
// PNG is 96 MB as RGBA, but the pipeline needs 800 px. The zlib stream is inflated by the platform's
// DecompressionStream (Workers and Node have it), each row is unfiltered against the previous one and
// added into the d x d box of the output pixel it falls in; only two rows and the small output are held.
// Every colour type and bit depth, and Adam7 interlacing (each pass's pixels go to their own boxes).
// Alpha is dropped, as the WASM path does (the pipeline reads RGB).
import type { RgbImage } from "./image";

export class PngError extends Error {}

type Header = { width: number; height: number; depth: number; colorType: number; interlaced: boolean };

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7: x0, y0, dx, dy of each pass.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * Decodes to RGB at 1/d scale (each output pixel the mean of a d x d box; edge boxes are partial). A picture
 * of more than maxPixels (as this parser reads the header) is a PngError.
 */
export async function decodePngScaled(png: Uint8Array, d: number, maxPixels = 24_000_000): Promise<RgbImage> {
  const { header, palette, idat } = readChunks(png);
  const { width: W, height: H, depth, colorType } = header;
  if (W < 1 || H < 1 || W * H > maxPixels) throw new PngError(`the image has ${W}x${H} pixels`);
  const channels = CHANNELS[colorType]!;
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter distance in bytes
  const width = Math.ceil(W / d);
  const height = Math.ceil(H / d);
  const sums = new Uint32Array(width * height * 3); // at most d*d*255 each
  const counts = new Uint32Array(width * height);
  const passes = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const rows: { pass: number; y: number; x0: number; dx: number; w: number }[] = [];
  passes.forEach(([x0, y0, dx, dy], pass) => {
    const w = Math.ceil((W - x0) / dx);
    if (w > 0) for (let y = y0; y < H; y += dy) rows.push({ pass, y, x0, dx, w });
  });
  const px = new Uint8Array(3);
  let rowIndex = 0;
  let stride = 0;
  let row = new Uint8Array(0);
  let prev = new Uint8Array(0);
  let fill = -1; // bytes of the current row read so far, -1 before its filter byte
  let filter = 0;
  const startRow = () => {
    const r = rows[rowIndex]!;
    if (rowIndex === 0 || rows[rowIndex - 1]!.pass !== r.pass) {
      // Each pass has its own row width and starts with an all-zero previous row.
      stride = Math.ceil((r.w * bitsPerPixel) / 8);
      prev = new Uint8Array(stride);
      row = new Uint8Array(stride);
    }
    fill = -1;
  };
  const finishRow = () => {
    unfilter(filter, row, prev, bpp);
    const r = rows[rowIndex]!;
    const oy = Math.floor(r.y / d) * width;
    if (depth === 8 && (colorType === 2 || colorType === 6)) {
      // The common case (8-bit RGB / RGBA) without the per-pixel call.
      for (let i = 0, at = 0; i < r.w; i++, at += channels) {
        const o = oy + Math.floor((r.x0 + i * r.dx) / d);
        sums[o * 3]! += row[at]!;
        sums[o * 3 + 1]! += row[at + 1]!;
        sums[o * 3 + 2]! += row[at + 2]!;
        counts[o]!++;
      }
      [prev, row] = [row, prev];
      rowIndex++;
      if (rowIndex < rows.length) startRow();
      return;
    }
    for (let i = 0; i < r.w; i++) {
      pixel(row, i, colorType, depth, palette, px);
      const o = oy + Math.floor((r.x0 + i * r.dx) / d);
      sums[o * 3]! += px[0]!;
      sums[o * 3 + 1]! += px[1]!;
      sums[o * 3 + 2]! += px[2]!;
      counts[o]!++;
    }
    [prev, row] = [row, prev];
    rowIndex++;
    if (rowIndex < rows.length) startRow();
  };
  if (rows.length > 0) startRow();
  const compressed = new ReadableStream<BufferSource>({
    start(controller) {
      for (const part of idat) controller.enqueue(part as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
  const inflated = compressed.pipeThrough(new DecompressionStream("deflate"));
  const reader = inflated.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = 0; i < value.length && rowIndex < rows.length; ) {
        if (fill < 0) {
          filter = value[i++]!;
          if (filter > 4) throw new PngError("bad filter type");
          fill = 0;
          continue;
        }
        const n = Math.min(stride - fill, value.length - i);
        row.set(value.subarray(i, i + n), fill);
        fill += n;
        i += n;
        if (fill === stride) finishRow();
      }
    }
  } catch (e) {
    throw e instanceof PngError ? e : new PngError("the compressed data is damaged");
  }
  if (rowIndex < rows.length) throw new PngError("the image data ends early");
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]! || 1;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(sums[i * 3 + c]! / n);
  }
  return { width, height, data };
}

function readChunks(b: Uint8Array): { header: Header; palette: Uint8Array | null; idat: Uint8Array[] } {
  const u32 = (i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
  let header: Header | undefined;
  let palette: Uint8Array | null = null;
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let p = 8; p + 8 <= b.length; ) {
    const len = u32(p);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    const data = b.subarray(p + 8, p + 8 + len);
    if (data.length < len) throw new PngError("truncated chunk");
    if (type === "IHDR") {
      // The header must come first and once (decodeImage checked the size at that place).
      if (len < 13 || p !== 8) throw new PngError("bad IHDR");
      header = { width: u32(p + 8), height: u32(p + 12), depth: data[8]!, colorType: data[9]!, interlaced: data[12] === 1 };
      const okDepth = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }[header.colorType];
      if (!okDepth?.includes(header.depth) || data[10] !== 0 || data[11] !== 0 || data[12]! > 1) throw new PngError("unsupported PNG format");
    } else if (type === "PLTE") palette = data;
    else if (type === "IDAT") {
      parts.push(data);
      size += len;
    } else if (type === "IEND") break;
    p += 12 + len;
  }
  if (!header || size === 0) throw new PngError("no image data");
  if (!Number.isInteger(header.width) || header.width > 0x7fffffff || header.height > 0x7fffffff) throw new PngError("bad IHDR");
  if (header.colorType === 3 && !palette) throw new PngError("palette missing");
  return { header, palette, idat: parts };
}

/** Undoes the row filter in place (PNG spec 9.2). */
function unfilter(type: number, row: Uint8Array, prev: Uint8Array, bpp: number): void {
  const n = row.length;
  if (type === 1) for (let i = bpp; i < n; i++) row[i] = (row[i]! + row[i - bpp]!) & 255;
  else if (type === 2) for (let i = 0; i < n; i++) row[i] = (row[i]! + prev[i]!) & 255;
  else if (type === 3) for (let i = 0; i < n; i++) row[i] = (row[i]! + (((i >= bpp ? row[i - bpp]! : 0) + prev[i]!) >> 1)) & 255;
  else if (type === 4) {
    for (let i = 0; i < n; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      row[i] = (row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
    }
  }
}

/** RGB of pixel i of an unfiltered row (16-bit samples keep their high byte; low depths are scaled to 0-255). */
function pixel(row: Uint8Array, i: number, colorType: number, depth: number, palette: Uint8Array | null, out: Uint8Array): void {
  if (depth < 8) {
    const perByte = 8 / depth;
    const v = (row[Math.floor(i / perByte)]! >> ((perByte - 1 - (i % perByte)) * depth)) & ((1 << depth) - 1);
    if (colorType === 3) {
      out[0] = palette![v * 3] ?? 0;
      out[1] = palette![v * 3 + 1] ?? 0;
      out[2] = palette![v * 3 + 2] ?? 0;
    } else out[0] = out[1] = out[2] = Math.round((v * 255) / ((1 << depth) - 1));
    return;
  }
  const step = depth >> 3; // bytes per sample
  const at = i * CHANNELS[colorType]! * step;
  if (colorType === 3) {
    const v = row[at]!;
    out[0] = palette![v * 3] ?? 0;
    out[1] = palette![v * 3 + 1] ?? 0;
    out[2] = palette![v * 3 + 2] ?? 0;
  } else if (colorType === 0 || colorType === 4) out[0] = out[1] = out[2] = row[at]!;
  else {
    out[0] = row[at]!;
    out[1] = row[at + step]!;
    out[2] = row[at + 2 * step]!;
  }
}
