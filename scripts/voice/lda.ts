// The LDA speaker projection and the background data it is trained on, shared by the training script
// (scripts/voice/train.ts) and the benchmarks (bench/voice-levels.ts), so both fit exactly the same model.
// Deterministic: no randomness; file order is sorted.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { extractVoiceFeatures, sliceFbank, utteranceStats, STATS_DIM } from "../../src/biometrics/voice/features";
import { type Fbank } from "../../src/biometrics/voice/fbank";
import { parseWav } from "../../src/biometrics/voice/wav";
import { resample } from "../../src/biometrics/voice/resample";
import { setOpusWasm } from "../../src/biometrics/voice/opus";
import { opusRoundTrip } from "./opus-roundtrip";
import { type LinearProjection } from "../../src/biometrics/voice/projection";
import { symmetricEigen, matmul, transpose } from "./linalg";

const repoRoot = process.env.VOICE_REPO_ROOT ? resolve(process.env.VOICE_REPO_ROOT) : process.cwd();
export const BACKGROUND = resolve(repoRoot, process.env.VOICE_BACKGROUND_DIR ?? "../shared/data/voice/background");

export interface Params {
  segFrames: number; // segment length for within-speaker scatter
  dim: number; // LDA output dimension
  shrink: number; // within-scatter shrinkage toward (mean variance) * I
}

export interface Utt {
  speaker: string;
  full: Float32Array;
  /** Segment stats of the clean audio and of its Opus round trips (within-speaker + codec variation). */
  segments: Float32Array[];
  halves: [Float32Array, Float32Array];
  /** Second half after the first Opus round trip: the cross-codec CV condition. */
  codecHalf: Float32Array;
}

// Browsers deliver Opus; a WAV enrolment compared with a WebM verification must still match. Opus
// reshapes the log-mel statistics (smaller variances, altered top bands), so the training set includes each
// background utterance after an Opus encode/decode round trip at these bitrates (voip mode, complexity 5;
// deterministic). LDA then treats the codec shift as within-speaker variation.
export const OPUS_KBPS = [16, 32];

/** Speed-perturbed copies as extra training speakers (model v2): 16 kHz audio resampled to these rates and read
 * as 16 kHz, i.e. 0.91x and 1.11x speed (loadBackground's `speedRate`). */
export const SPEED_RATES = [17600, 14400];

const requireFromRepo = createRequire(join(repoRoot, "package.json"));

/**
 * Background utterances with segment statistics. `speedRate` (Hz) makes speed-perturbed copies instead: each
 * file resampled from 16 kHz to that rate and read as 16 kHz (14400: 1.11x faster, 17600: 0.91x slower), pitch and
 * formants shifting with the speed, as Kaldi's x-vector recipes do to multiply training speakers. A copy is a new
 * speaker (`<speaker>@<rate>`) and keeps its source's position in the list, so folds by index stay speaker-disjoint.
 */
export async function loadBackground(segFramesList: number[], speedRate?: number): Promise<Map<number, Utt[]>> {
  setOpusWasm(new WebAssembly.Module(readFileSync(requireFromRepo.resolve("@evan/opus/wasm/opus.wasm"))));
  const files = readdirSync(BACKGROUND).filter((f) => f.endsWith(".wav")).sort();
  const fbs: { speaker: string; versions: { fb: Fbank; mask: Uint8Array }[] }[] = [];
  for (const f of files) {
    const pcm = parseWav(readFileSync(join(BACKGROUND, f)));
    const at16k = pcm.sampleRate === 16000 ? pcm.samples : resample(pcm.samples, pcm.sampleRate, 16000);
    const s = speedRate ? resample(at16k, 16000, speedRate) : at16k;
    const versions = [s];
    for (const kbps of OPUS_KBPS) versions.push(await opusRoundTrip(s, kbps));
    fbs.push({
      speaker: f.split("-")[0]! + (speedRate ? `@${speedRate}` : ""),
      versions: versions.map((x) => {
        const feats = extractVoiceFeatures(x, { level: "as recorded" });
        return { fb: feats.fbank, mask: feats.vad.speechMask };
      }),
    });
  }
  const out = new Map<number, Utt[]>();
  for (const seg of segFramesList) {
    out.set(
      seg,
      fbs.map(({ speaker, versions }) => {
        const segments: Float32Array[] = [];
        const halves: Float32Array[] = [];
        let full: Float32Array = new Float32Array(0);
        versions.forEach(({ fb, mask }, v) => {
          const stats = (a: number, b: number) => utteranceStats(sliceFbank(fb, a, b), mask.subarray(a, b));
          const hop = Math.max(1, Math.floor(seg / 2));
          for (let a = 0; a + seg <= fb.frames; a += hop) segments.push(stats(a, a + seg));
          const mid = Math.floor(fb.frames / 2);
          halves.push(stats(0, mid), stats(mid, fb.frames));
          if (v === 0) full = stats(0, fb.frames);
        });
        return { speaker, full, segments, halves: [halves[0]!, halves[1]!], codecHalf: halves[3]! };
      }),
    );
  }
  console.log(`background: ${files.length} utterances from ${BACKGROUND} (+ Opus ${OPUS_KBPS.join("/")} kbps round trips)${speedRate ? `, speed-perturbed to ${speedRate} Hz` : ""}`);
  return out;
}

/** Learns the folded projection: y = normalize(x W + b). */
export function trainProjection(utts: Utt[], p: Params): LinearProjection {
  const d = utts[0]!.full.length; // STATS_DIM for the shipped features
  // z-score statistics from the whole-utterance stats.
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const u of utts) for (let i = 0; i < d; i++) mu[i] = mu[i]! + u.full[i]! / utts.length;
  for (const u of utts) for (let i = 0; i < d; i++) sd[i] = sd[i]! + (u.full[i]! - mu[i]!) ** 2 / utts.length;
  for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i]!) + 1e-6;
  const z = (x: Float32Array) => Float64Array.from(x, (v, i) => (v - mu[i]!) / sd[i]!);

  // Scatter matrices over segments, each speaker weighted equally.
  const sw = new Float64Array(d * d);
  const sb = new Float64Array(d * d);
  const means: Float64Array[] = [];
  const global = new Float64Array(d);
  for (const u of utts) {
    const zs = u.segments.map(z);
    const m = new Float64Array(d);
    for (const v of zs) for (let i = 0; i < d; i++) m[i] = m[i]! + v[i]! / zs.length;
    means.push(m);
    for (let i = 0; i < d; i++) global[i] = global[i]! + m[i]! / utts.length;
    for (const v of zs) {
      for (let i = 0; i < d; i++) {
        const ai = (v[i]! - m[i]!) / zs.length;
        for (let j = 0; j < d; j++) sw[i * d + j] = sw[i * d + j]! + ai * (v[j]! - m[j]!);
      }
    }
  }
  for (const m of means) {
    for (let i = 0; i < d; i++) {
      const ai = m[i]! - global[i]!;
      for (let j = 0; j < d; j++) sb[i * d + j] = sb[i * d + j]! + ai * (m[j]! - global[j]!);
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += sw[i * d + i]!;
  for (let i = 0; i < d; i++) sw[i * d + i] = sw[i * d + i]! * (1 - p.shrink) + (p.shrink * trace) / d;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) sw[i * d + j] = sw[i * d + j]! * (1 - p.shrink);

  // Whiten Sw, then diagonalise the whitened Sb: W = Uw Dw^-1/2 Ub[:, :dim].
  const ew = symmetricEigen(sw, d);
  const white = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) white[i * d + j] = ew.vectors[i * d + j]! / Math.sqrt(Math.max(ew.values[j]!, 1e-10));
  const sbw = matmul(matmul(transpose(white, d, d), sb, d, d, d), white, d, d, d);
  const eb = symmetricEigen(sbw, d);
  const ub = new Float64Array(d * p.dim);
  for (let i = 0; i < d; i++) for (let j = 0; j < p.dim; j++) ub[i * p.dim + j] = eb.vectors[i * d + j]!;
  const lda = matmul(white, ub, d, d, p.dim); // [d, dim]

  // Fold z-scoring and centring (on the projected background mean) into one affine map.
  const weight = new Float32Array(d * p.dim);
  for (let i = 0; i < d; i++) for (let j = 0; j < p.dim; j++) weight[i * p.dim + j] = lda[i * p.dim + j]! / sd[i]!;
  const center = matmul(global, lda, 1, d, p.dim); // mean of speaker means, in LDA space
  const bias = new Float32Array(p.dim);
  for (let j = 0; j < p.dim; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (mu[i]! / sd[i]!) * lda[i * p.dim + j]!;
    bias[j] = -s - center[j]!;
  }
  return { inputDim: d, outputDim: p.dim, weight, bias };
}

