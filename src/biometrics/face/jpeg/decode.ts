// A JPEG decoder that decodes at 1/2, 1/4 or 1/8 scale in the DCT domain (libjpeg's scale_denom), for
// phone photos too large to hold at full size in a 128 MB isolate: the pipeline only needs the picture
// at 800 px, and a 48 MP photo decoded at 1/8 is 1000x750 (2 MB of RGB) with a few MB of coefficients.
// Baseline and progressive Huffman JPEG, 8-bit, grayscale or 3 components, any chroma subsampling,
// restart intervals. Not: arithmetic coding, lossless, hierarchical, 12-bit, CMYK (rare in photos; they
// are refused as undecodable). Pure TypeScript: nothing to compile at run time in workerd.
import { entropyEnd, HuffmanTable, JpegError } from "./bits";
import { type Frame, readFrame, ZIGZAG } from "./frame";
import { toRgb } from "./output";
import { decodeScan, type ScanHeader } from "./scan";

export { JpegError } from "./bits";

export type ScaledJpeg = { width: number; height: number; data: Uint8Array; scale: number };

/** The largest scale denominator (1, 2, 4, 8) that keeps the longer side at least minSide. */
export function scaleFor(width: number, height: number, minSide: number): number {
  const longest = Math.max(width, height);
  let d = 8;
  while (d > 1 && Math.ceil(longest / d) < minSide) d /= 2;
  return d;
}

/**
 * Decodes at 1/scale (scale 1, 2, 4 or 8) to RGB; throws JpegError on data it cannot decode, and on a frame
 * of more than maxPixels (checked on the frame this parser reads, whatever a header sniffer said).
 */
export function decodeJpegScaled(d: Uint8Array, scale: number, maxPixels = 52_000_000): ScaledJpeg {
  if (![1, 2, 4, 8].includes(scale)) throw new RangeError("scale must be 1, 2, 4 or 8");
  if (d[0] !== 0xff || d[1] !== 0xd8) throw new JpegError("not a JPEG");
  const n = 8 / scale;
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: Frame | undefined;
  let restartInterval = 0;
  let adobeRgb = false;
  let scans = 0;
  let p = 2;
  while (p < d.length) {
    if (d[p] !== 0xff) throw new JpegError("expected a marker");
    const m = d[p + 1]!;
    if (m === 0xff) {
      p++; // fill byte
      continue;
    }
    if (m === 0xd9) break; // EOI
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      p += 2;
      continue;
    }
    if (p + 4 > d.length) throw new JpegError("truncated segment");
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    const s = p + 4;
    const e = p + 2 + len;
    if (len < 2 || e > d.length) throw new JpegError("truncated segment");
    if (m === 0xc0 || m === 0xc1 || m === 0xc2) {
      if (frame) throw new JpegError("two frames");
      frame = readFrame(d, s, e, m === 0xc2, n, maxPixels);
    } else if (m >= 0xc3 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      throw new JpegError("unsupported JPEG process (lossless, hierarchical or arithmetic)");
    } else if (m === 0xc4) readHuffman(d, s, e, dcTables, acTables);
    else if (m === 0xdb) readQuant(d, s, e, quant);
    else if (m === 0xdd) restartInterval = (d[s]! << 8) | d[s + 1]!;
    else if (m === 0xee && len >= 14 && String.fromCharCode(...d.subarray(s, s + 5)) === "Adobe") adobeRgb = d[s + 11] === 0;
    else if (m === 0xda) {
      if (!frame) throw new JpegError("scan before frame");
      const header = readScanHeader(d, s, e, frame, dcTables, acTables, restartInterval);
      const end = entropyEnd(d, e);
      // At 1/8 only DC terms are kept, and progressive AC scans carry none: their data is stepped over.
      if (!(frame.progressive && header.ss > 0 && frame.n === 1)) decodeScan(frame, header, d, e, end);
      scans++;
      p = end;
      continue;
    }
    p = e;
  }
  if (!frame || scans === 0) throw new JpegError("no image data");
  for (const c of frame.components) if (!quant[c.tq]) throw new JpegError("missing quantisation table");
  const rgb = frame.components.length === 3 && adobeRgb;
  const out = toRgb(frame, (tq) => quant[tq]!, rgb);
  return { ...out, scale };
}

function readHuffman(d: Uint8Array, p: number, end: number, dc: (HuffmanTable | undefined)[], ac: (HuffmanTable | undefined)[]): void {
  while (p < end) {
    const tc = d[p]! >> 4;
    const th = d[p]! & 15;
    const counts = d.subarray(p + 1, p + 17);
    let total = 0;
    for (const c of counts) total += c;
    if (p + 17 + total > end || th > 3 || tc > 1) throw new JpegError("bad Huffman table");
    const table = new HuffmanTable(counts, d.slice(p + 17, p + 17 + total));
    (tc === 0 ? dc : ac)[th] = table;
    p += 17 + total;
  }
}

function readQuant(d: Uint8Array, p: number, end: number, quant: (Uint16Array | undefined)[]): void {
  while (p < end) {
    const precision = d[p]! >> 4;
    const tq = d[p]! & 15;
    const size = precision ? 128 : 64;
    if (tq > 3 || p + 1 + size > end) throw new JpegError("bad quantisation table");
    const table = new Uint16Array(64); // natural order
    for (let z = 0; z < 64; z++) table[ZIGZAG[z]!] = precision ? (d[p + 1 + 2 * z]! << 8) | d[p + 2 + 2 * z]! : d[p + 1 + z]!;
    quant[tq] = table;
    p += 1 + size;
  }
}

function readScanHeader(
  d: Uint8Array,
  p: number,
  end: number,
  f: Frame,
  dc: (HuffmanTable | undefined)[],
  ac: (HuffmanTable | undefined)[],
  restartInterval: number,
): ScanHeader {
  const ns = d[p]!;
  if (ns < 1 || ns > 4 || p + 1 + 2 * ns + 3 > end) throw new JpegError("bad scan header");
  const comps: ScanHeader["comps"] = [];
  for (let i = 0; i < ns; i++) {
    const id = d[p + 1 + 2 * i]!;
    const c = f.components.find((x) => x.id === id);
    if (!c) throw new JpegError("scan of an unknown component");
    const t = d[p + 2 + 2 * i]!;
    comps.push({ c, dc: dc[t >> 4], ac: ac[t & 15] });
  }
  const q = p + 1 + 2 * ns;
  return { comps, ss: d[q]!, se: d[q + 1]!, ah: d[q + 2]! >> 4, al: d[q + 2]! & 15, restartInterval };
}
