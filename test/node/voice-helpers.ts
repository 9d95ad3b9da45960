// Shared fixtures for the voice tests: the shared data directory (read in place, never copied) and the
// opus.wasm compiled the way the Worker receives it (an already compiled WebAssembly.Module).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setOpusWasm } from "../../src/biometrics/voice/opus";

export const DATA = resolve(process.env.VOICE_DATA_DIR ?? "../shared/data");
export const hasData = existsSync(join(DATA, "media/speech5s_16k.wav")) && existsSync(join(DATA, "voice/eval"));
export const media = (name: string) => new Uint8Array(readFileSync(join(DATA, "media", name)));
/** The index-th (sorted) utterance of an eval speaker. */
export function evalClip(speaker: string, index: number): Uint8Array {
  const dir = join(DATA, "voice/eval", speaker);
  const file = readdirSync(dir).filter((f) => f.endsWith(".wav")).sort()[index];
  if (!file) throw new Error(`no eval clip ${speaker}/${index}`);
  return new Uint8Array(readFileSync(join(dir, file)));
}

export function loadOpus(): void {
  setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));
}

let seed = 12345;
export function gaussian(n: number, sigma: number): Float32Array {
  // Deterministic LCG + Box-Muller so VAD tests never flake.
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) + 1) / 4294967297;
  return Float32Array.from({ length: n }, () => sigma * Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()));
}

export function sine(n: number, freq: number, rate: number, amp = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));
}

/** Best normalised cross-correlation of a and b over lags in [-maxLag, maxLag]. */
export function bestCorrelation(a: Float32Array, b: Float32Array, maxLag = 800): { r: number; lag: number } {
  let best = { r: -1, lag: 0 };
  const n = Math.min(a.length, b.length) - 2 * maxLag;
  for (let lag = -maxLag; lag <= maxLag; lag += 1) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = maxLag; i < maxLag + n; i += 2) {
      const x = a[i]!;
      const y = b[i + lag]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    const r = ab / Math.sqrt(aa * bb);
    if (r > best.r) best = { r, lag };
  }
  return best;
}
