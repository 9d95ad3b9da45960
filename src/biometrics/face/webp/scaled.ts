// WebP decoding straight to a reduced size: libwebp's own scaled decoding (WebPDecode with use_scaling),
// compiled to webp-scaled.wasm by native/webp-scaled/build.sh. For lossy WebP (what phones and browsers
// write), libwebp's rescaler takes the macroblock rows as they are decoded, so the heap holds the upload, a
// few rows and the small output: 3.6 MB for a 1.5 MB 24 MP photo instead of the ~190 MB of a whole decode
// (BENCHMARKS.md, "Phone photos"). The heap is capped at 64 MiB (build.sh): past it, "out of memory".
import type { RgbImage } from "../image";

export class WebpError extends Error {}

// libwebp's VP8StatusCode, in order.
const STATUS = ["ok", "out of memory", "invalid parameter", "bitstream error", "unsupported feature", "suspended", "user abort", "not enough data"];

type Exports = {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  decode_scaled(data: number, size: number, width: number, height: number, out: number): number;
};

/**
 * Decodes a WebP to width x height RGB (libwebp's area-averaging rescaler; a plain decode at full size).
 * Each call has its own instance: its heap goes with it (nothing in it is freed), instead of staying at its
 * largest in the isolate; compiling is done once (the module), instantiating costs well under a millisecond.
 */
export async function decodeWebpScaled(module: WebAssembly.Module, webp: Uint8Array, width: number, height: number): Promise<RgbImage> {
  return decodeIn(await WebAssembly.instantiate(module, {}), webp, width, height);
}

/** The same in a given fresh instance (the benchmark reads its memory afterwards: the heap's peak). */
export function decodeIn(instance: WebAssembly.Instance, webp: Uint8Array, width: number, height: number): RgbImage {
  const x = instance.exports as unknown as Exports;
  let status: number;
  let output = 0;
  try {
    const input = x.alloc(webp.length);
    const slot = x.alloc(4);
    if (!input || !slot) throw new WebpError("out of memory");
    new Uint8Array(x.memory.buffer, input, webp.length).set(webp);
    status = x.decode_scaled(input, webp.length, width, height, slot);
    output = new DataView(x.memory.buffer).getUint32(slot, true);
  } catch (e) {
    // A trap (a bug in libwebp caught by the WASM sandbox) is an undecodable picture, not a crash.
    if (e instanceof WebAssembly.RuntimeError) throw new WebpError(`decoder stopped (${e.message})`);
    throw e;
  }
  if (status !== 0 || !output) throw new WebpError(STATUS[status] ?? `status ${status}`);
  // A copy out of the instance's memory, which can then be collected.
  return { width, height, data: new Uint8Array(x.memory.buffer, output, width * height * 3).slice() };
}
