// What an image's first bytes say, read without decoding anything: the format (sniffed, never a declared type),
// the size its header claims and, for PNG, how many bytes its rows inflate to. Cheap and dependency-free, so the
// API Worker can judge a picture's cost before sending it to the inference Worker (services/biometrics/face.ts).
export type ImageFormat = "jpeg" | "png" | "webp";

// A picture decoded whole exists up to three times at once (codec heap, RGBA copy, RGB copy: 11 bytes a
// pixel) next to onnxruntime's heap in a 128 MB isolate: 8 MP (a 3264x2448 photo) is the most that fits
// safely, so larger pictures are decoded at reduced scale (the pipeline works at 800 px anyway).
export const MAX_PIXELS = 8_000_000;

export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return "webp";
  return null;
}

export const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** Width and height from the header, or null when the header cannot be read. */
export function headerSize(b: Uint8Array, format: ImageFormat): { width: number; height: number } | null {
  const u16be = (i: number) => (b[i]! << 8) | b[i + 1]!;
  const u32be = (i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
  const u16le = (i: number) => b[i]! | (b[i + 1]! << 8);
  const u24le = (i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
  if (format === "png") return b.length >= 24 ? { width: u32be(16), height: u32be(20) } : null;
  if (format === "webp") {
    if (b.length < 30) return null;
    return ascii(b, 12, 4) === "VP8X" ? { width: u24le(24) + 1, height: u24le(27) + 1 } : webpFrameSize(b, 12);
  }
  const i = jpegFrameAt(b);
  return i === null ? null : { width: u16be(i + 7), height: u16be(i + 5) };
}

/** Where a JPEG's first start-of-frame segment (its marker's 0xff) is: the segments walked from the start; null if none. */
function jpegFrameAt(b: Uint8Array): number | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return i;
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return null;
}

/** The size a WebP image chunk (VP8 or VP8L) at `at` declares, or null. */
export function webpFrameSize(b: Uint8Array, at: number): { width: number; height: number } | null {
  if (at + 18 > b.length) return null;
  const u16le = (i: number) => b[i]! | (b[i + 1]! << 8);
  const chunk = ascii(b, at, 4);
  if (chunk === "VP8 ") return { width: u16le(at + 14) & 0x3fff, height: u16le(at + 16) & 0x3fff };
  if (chunk === "VP8L") {
    const bits = b[at + 9]! | (b[at + 10]! << 8) | (b[at + 11]! << 16) | (b[at + 12]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return null;
}

/**
 * The bytes a PNG's image data inflates to (rows with their filter bytes, as the header claims: interlaced pictures
 * a little more), or null when the header cannot be read. Decoding cost follows it, not the pixel count: a 16-bit
 * RGBA picture is 8 bytes a pixel.
 */
export function pngInflatedBytes(b: Uint8Array): number | null {
  if (b.length < 26) return null;
  const size = headerSize(b, "png");
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[b[25]!];
  if (!size || channels === undefined) return null;
  return size.height * (1 + Math.ceil((size.width * channels * b[24]!) / 8));
}

/**
 * What a picture that is not JPEG, PNG or WebP is, when it is a common image format (so the answer can name it and say
 * what to send), or null. HEIC and AVIF are ISO-BMFF files whose `ftyp` brand names them (an iPhone's default photo).
 */
export function otherImageFormat(b: Uint8Array): string | null {
  if (b.length >= 6 && ascii(b, 0, 4) === "GIF8") return "GIF";
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return "BMP";
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) return "TIFF";
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp") {
    const brand = ascii(b, 8, 4);
    if (/^avi[fs]$/.test(brand)) return "AVIF";
    if (/^(hei[cxms]|hev[cxms]|mif1|msf1)$/.test(brand)) return "HEIC";
  }
  return null;
}

/**
 * Why a JPEG is of a kind the decoder does not read, from its start-of-frame header, or null: arithmetic coding,
 * the lossless process, 12-bit samples, or four colour components (CMYK, as print software writes).
 */
export function unsupportedJpegKind(b: Uint8Array): string | null {
  const i = jpegFrameAt(b);
  if (i === null) return null;
  const marker = b[i + 1]!;
  if (marker >= 0xc9) return "arithmetic-coded";
  if (marker === 0xc3 || marker === 0xc7) return "lossless";
  if (b[i + 4] !== 8) return `${b[i + 4]}-bit`;
  if (b[i + 9] === 4) return "CMYK";
  return null;
}
