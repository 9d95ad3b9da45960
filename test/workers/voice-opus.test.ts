// Proves the Opus decoder runs inside workerd: opus.wasm arrives as an already compiled WebAssembly.Module
// (wrangler's CompiledWasm rule), is instantiated without run-time compilation, and decodes. The packets
// are made in the test by the same wasm's encoder (no audio fixture can be read from inside workerd).
import opusWasm from "@evan/opus/wasm/opus.wasm";
import { describe, expect, it } from "vitest";
import "../../src/biometrics/voice/opus-bundled";
import { decodeOpus, hasOpusWasm } from "../../src/biometrics/voice/opus";

interface EncoderExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  opus_encoder_get_size(ch: number): number;
  opus_encoder_init(st: number, rate: number, ch: number, app: number): number;
  opus_encode(st: number, pcm: number, frame: number, out: number, max: number): number;
}

async function encodeSine(seconds: number): Promise<Uint8Array[]> {
  const noop = () => 0;
  const inst = await WebAssembly.instantiate(opusWasm, {
    wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
    env: { emscripten_notify_memory_growth: noop },
  });
  const w = inst.exports as unknown as EncoderExports;
  const st = w.malloc(w.opus_encoder_get_size(1));
  expect(w.opus_encoder_init(st, 48000, 1, 2048)).toBe(0);
  const pcm = w.malloc(960 * 2);
  const out = w.malloc(4000);
  const packets: Uint8Array[] = [];
  for (let f = 0; f < seconds * 50; f++) {
    const buf = new Int16Array(w.memory.buffer, pcm, 960);
    for (let i = 0; i < 960; i++) buf[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000));
    const n = w.opus_encode(st, pcm, 960, out, 4000);
    expect(n).toBeGreaterThan(0);
    packets.push(new Uint8Array(w.memory.buffer, out, n).slice());
  }
  return packets;
}

describe("Opus inside workerd", () => {
  it("decodes with the imported opus.wasm module", async () => {
    expect(opusWasm).toBeInstanceOf(WebAssembly.Module);
    expect(hasOpusWasm()).toBe(true);
    const packets = await encodeSine(1);
    const pcm = await decodeOpus({ channels: 1, preSkip: 312, inputSampleRate: 48000, outputGainDb: 0, mappingFamily: 0, packets, totalSamples: undefined }, 48000);
    expect(pcm.length).toBe(48000 - 312);
    let rms = 0;
    for (let i = 4800; i < pcm.length; i++) rms += pcm[i]! * pcm[i]!;
    expect(Math.sqrt(rms / (pcm.length - 4800))).toBeCloseTo(8000 / 32768 / Math.SQRT2, 1);
  });
});
