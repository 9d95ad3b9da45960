// Opus decoding through libopus compiled to WebAssembly by @evan/opus (MIT). Only its `opus.wasm` is used:
// the package entry loads native `.node` files and compiles wasm from bytes, and workerd (like production
// Workers) forbids compiling WebAssembly at run time. The caller therefore hands in an already compiled
// WebAssembly.Module: in the Worker, `import opusWasm from "@evan/opus/wasm/opus.wasm"` (wrangler's default
// CompiledWasm rule); under Node, `new WebAssembly.Module(readFileSync(...))`. This file is the small shim
// that replaces the package's JS glue (same exports, same memory-growth callback).
import { VoiceError } from "./errors";
import { chooseMono } from "./downmix";
import type { OpusStream } from "./opus-head";

interface OpusExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(st: number, rate: number, channels: number): number;
  opus_decode(st: number, data: number, len: number, pcm: number, frameSize: number, fec: number): number;
  _initialize?: () => void;
}

const PACKET_BYTES = 1 << 13; // buffer for one compressed packet (the glue's size; real packets are < 2 KB)
const MAX_FRAME = 5760; // 120 ms at 48 kHz, the longest Opus packet (fewer samples at lower rates)

export interface OpusRuntime {
  exports: OpusExports;
  packetPtr: number;
  pcmPtr: number;
}

let runtime: Promise<OpusRuntime> | undefined;
let wasmModule: WebAssembly.Module | undefined;

/** Registers the compiled opus.wasm; call once per isolate before decoding (cheap, idempotent). */
export function setOpusWasm(module: WebAssembly.Module): void {
  if (wasmModule !== module) {
    wasmModule = module;
    runtime = undefined;
  }
}

export function hasOpusWasm(): boolean {
  return wasmModule !== undefined;
}

async function getRuntime(): Promise<OpusRuntime> {
  if (!wasmModule) throw new Error("opus.wasm not registered: call setOpusWasm(module) at start-up");
  const module = wasmModule;
  runtime ??= (async () => {
    const noop = () => 0;
    const instance = await WebAssembly.instantiate(module, {
      wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
      // Views are re-created from `memory.buffer` on every use, so growth needs no bookkeeping here.
      env: { emscripten_notify_memory_growth: noop },
    });
    const exports = instance.exports as unknown as OpusExports;
    exports._initialize?.();
    return { exports, packetPtr: exports.malloc(PACKET_BYTES), pcmPtr: exports.malloc(MAX_FRAME * 2 * 2) };
  })();
  return runtime;
}

/**
 * Decodes an Opus stream to mono float samples at `rate` (default 16 kHz, what the features use: libopus
 * reconstructs at any of 8/12/16/24/48 kHz itself, which is cheaper than decoding at 48 kHz and resampling),
 * pre-skip, end trimming and output gain applied.
 */
export async function decodeOpus(
  stream: OpusStream,
  rate: 8000 | 12000 | 16000 | 24000 | 48000 = 16000,
  maxSeconds = Infinity,
): Promise<Float32Array> {
  if (stream.mappingFamily !== 0 && stream.channels > 2) {
    throw new VoiceError("undecodable", `Opus with ${stream.channels} channels (mapping family ${stream.mappingFamily}) is not supported`);
  }
  const { exports: w, packetPtr, pcmPtr } = await getRuntime();
  const channels = Math.min(2, stream.channels);
  const state = w.malloc(w.opus_decoder_get_size(channels));
  try {
    const rc = w.opus_decoder_init(state, rate, channels);
    if (rc < 0) throw new VoiceError("undecodable", `Opus decoder init failed (${rc})`);
    const chunks: Float32Array[] = [];
    const leftChunks: Float32Array[] = []; // the first channel alone, for chooseMono
    let total = 0;
    let failures = 0;
    const gain = Math.pow(10, stream.outputGainDb / 20) / 32768 / channels;
    const limit = maxSeconds * rate + Math.round((stream.preSkip * rate) / 48000);
    let tried = 0;
    for (const packet of stream.packets) {
      if (total >= limit) break; // enough audio for any decision; skip the rest of a huge upload
      tried++;
      if (packet.length === 0 || packet.length > PACKET_BYTES) {
        failures++;
        continue;
      }
      new Uint8Array(w.memory.buffer, packetPtr, packet.length).set(packet);
      const n = w.opus_decode(state, packetPtr, packet.length, pcmPtr, MAX_FRAME, 0);
      if (n < 0) {
        failures++;
        continue;
      }
      const pcm = new Int16Array(w.memory.buffer, pcmPtr, n * channels);
      const mono = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let c = 0; c < channels; c++) acc += pcm[i * channels + c]!;
        mono[i] = acc * gain;
      }
      chunks.push(mono);
      if (channels === 2) leftChunks.push(Float32Array.from({ length: n }, (_, i) => pcm[i * 2]! * gain * 2));
      total += n;
    }
    if (total === 0 || failures > tried / 4) {
      throw new VoiceError("undecodable", `Opus stream does not decode (${failures} of ${tried} packets rejected)`);
    }
    const concat = (parts: Float32Array[]) => {
      const all = new Float32Array(total);
      let o = 0;
      for (const c of parts) {
        all.set(c, o);
        o += c.length;
      }
      return all;
    };
    const out = chooseMono(concat(chunks), channels === 2 ? concat(leftChunks) : undefined, channels);
    // Pre-skip and granule positions are counted at 48 kHz whatever the output rate.
    const scale = rate / 48000;
    const start = Math.min(Math.round(stream.preSkip * scale), out.length);
    const end = stream.totalSamples !== undefined ? Math.min(out.length, start + Math.round(stream.totalSamples * scale)) : out.length;
    return out.subarray(start, Math.max(start, end));
  } finally {
    w.free(state);
  }
}
