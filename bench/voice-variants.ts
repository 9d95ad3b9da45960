// Issue 16 part 2, the ideas that were tried and not kept: more / other LDA training segments, noise
// augmentation, richer frame statistics, WCCN-style whitening, the LDA dimension under PLDA. Same CV protocol as
// bench/voice-levels.ts (5 speaker-disjoint folds of the 251 background speakers, 3 s enrolment vs 3 s probe,
// clean and Opus 16 kbps; LDA, PLDA and cohort fitted on the other folds). Figures are pooled over the folds
// (one threshold), enough to rank variants; bench/voice-plda.ts does the cross-fitted comparison of the winner.
//   npx tsx bench/voice-variants.ts   # ~3 min to cache the fbanks (/tmp/trustid-voice/fbank-*), then ~30 s a variant
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { trainProjection, type Utt } from "../scripts/voice/lda";
import { fitPlda } from "../scripts/voice/plda";
import { opusRoundTrip } from "../scripts/voice/opus-roundtrip";
import { computeEer } from "../scripts/voice/metrics";
import { extractVoiceFeatures } from "../src/biometrics/voice/features";
import { parseWav } from "../src/biometrics/voice/wav";
import { setOpusWasm } from "../src/biometrics/voice/opus";
import { projectStats } from "../src/biometrics/voice/projection";
import { resample } from "../src/biometrics/voice/resample";
import { cohortStats, scoreVoice, type VoiceCohort } from "../src/biometrics/voice/score";

const BINS = 80;
const BG = resolve(process.env.VOICE_BACKGROUND_DIR ?? "../shared/data/voice/background");
const CACHE = resolve(process.env.VOICE_CACHE_DIR ?? "/tmp/trustid-voice");

// ---- fbank of every background utterance in five versions, cached as raw float32 ----
interface Fb { data: Float32Array; mask: Uint8Array; frames: number; delta?: Float32Array }
const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
let seed = 12345; // fixed: the white noise is the same on every run
const uniform = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const VERSIONS: Record<string, (s: Float32Array, i: number, all: Float32Array[]) => Promise<Float32Array>> = {
  clean: async (s) => s,
  opus16: (s) => opusRoundTrip(s, 16),
  opus32: (s) => opusRoundTrip(s, 32),
  // Babble: speaker i + 5 (the same CV fold as i, so no test speaker leaks into training) at 15 dB SNR.
  babble15: async (s, i, all) => {
    const n = all[(i + 5) % all.length]!;
    const g = rms(s) / rms(n) / 10 ** (15 / 20);
    return s.map((v, t) => v + g * n[t % n.length]!);
  },
  white20: async (s) => {
    const g = (rms(s) / 10 ** (20 / 20)) * Math.sqrt(3);
    return s.map((v) => v + g * uniform());
  },
  // Speed perturbation (Kaldi's x-vector recipes): played 1.11x faster / 0.91x slower, pitch and formants shift
  // with it, so each version counts as a new speaker (only ever in the training folds of its source speaker).
  speed111: async (s) => resample(s, 16000, 14400),
  speed091: async (s) => resample(s, 16000, 17600),
  speed111opus16: async (s) => opusRoundTrip(resample(s, 16000, 14400), 16),
  speed091opus16: async (s) => opusRoundTrip(resample(s, 16000, 17600), 16),
  speed105: async (s) => resample(s, 16000, 15200),
  speed095: async (s) => resample(s, 16000, 16800),
  speed105opus16: async (s) => opusRoundTrip(resample(s, 16000, 15200), 16),
  speed095opus16: async (s) => opusRoundTrip(resample(s, 16000, 16800), 16),
};

async function fbanks(): Promise<Record<string, Fb[]>> {
  const files = readdirSync(BG).filter((f) => f.endsWith(".wav")).sort();
  const path = (v: string) => join(CACHE, `fbank-${v}.bin`);
  if (!Object.keys(VERSIONS).every((v) => existsSync(path(v)))) {
    setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));
    const audio = files.map((f) => parseWav(readFileSync(join(BG, f))).samples);
    mkdirSync(CACHE, { recursive: true });
    for (const [v, make] of Object.entries(VERSIONS)) {
      if (existsSync(path(v))) continue;
      const parts: Buffer[] = [];
      for (let i = 0; i < audio.length; i++) {
        const f = extractVoiceFeatures(await make(audio[i]!, i, audio));
        // [frames][mask as float32 per frame][frames * bins log-mel]
        parts.push(Buffer.from(Float32Array.of(f.fbank.frames).buffer), Buffer.from(Float32Array.from(f.vad.speechMask).buffer));
        parts.push(Buffer.from(f.fbank.data.buffer, f.fbank.data.byteOffset, f.fbank.frames * BINS * 4));
      }
      writeFileSync(path(v), Buffer.concat(parts));
    }
  }
  const out: Record<string, Fb[]> = {};
  for (const v of Object.keys(VERSIONS)) {
    const buf = readFileSync(path(v));
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    let o = 0;
    out[v] = files.map(() => {
      const frames = all[o++]!;
      const mask = Uint8Array.from(all.subarray(o, o + frames));
      o += frames;
      const data = all.slice(o, o + frames * BINS);
      o += frames * BINS;
      return { data, mask, frames };
    });
  }
  return out;
}

// ---- statistics of frames [a, b) over speech frames (all frames when fewer than 10 are speech) ----
function meanStd(src: Float32Array, mask: Uint8Array, a: number, b: number, dim: number, withMean: boolean): number[] {
  let n = 0;
  for (let t = a; t < b; t++) n += mask[t]!;
  const s = new Float64Array(dim), q = new Float64Array(dim);
  let c = 0;
  for (let t = a; t < b; t++) {
    if (n >= 10 && !mask[t]) continue;
    c++;
    for (let k = 0; k < dim; k++) {
      const x = src[t * dim + k]!;
      s[k] = s[k]! + x;
      q[k] = q[k]! + x * x;
    }
  }
  const m = Array.from(s, (x) => (c ? x / c : 0));
  const sd = Array.from(q, (x, k) => (c ? Math.sqrt(Math.max(0, x / c - m[k]! ** 2)) : 0));
  return withMean ? [...m, ...sd] : sd;
}
/** Kaldi-style deltas (window 2) of the log-mel frames. */
function delta(u: Fb): Float32Array {
  if (u.delta) return u.delta;
  const d = new Float32Array(u.frames * BINS);
  const at = (t: number, k: number) => u.data[Math.min(u.frames - 1, Math.max(0, t)) * BINS + k]!;
  for (let t = 0; t < u.frames; t++) for (let k = 0; k < BINS; k++) d[t * BINS + k] = (at(t + 1, k) - at(t - 1, k) + 2 * (at(t + 2, k) - at(t - 2, k))) / 10;
  return (u.delta = d);
}
/** Correlations between cepstra 1..12 (DCT of the log-mel): how the spectral envelope moves together. */
const NC = 12;
const dct = Array.from({ length: NC }, (_, k) => Array.from({ length: BINS }, (_, n) => Math.cos((Math.PI * (k + 1) * (n + 0.5)) / BINS)));
function cepstralCorrelations(u: Fb, a: number, b: number): number[] {
  const cep = new Float32Array(u.frames * NC);
  for (let t = a; t < b; t++) for (let k = 0; k < NC; k++) cep[t * NC + k] = dct[k]!.reduce((s, w, n) => s + w * u.data[t * BINS + n]!, 0);
  const [m, sd] = [meanStd(cep, u.mask, a, b, NC, true).slice(0, NC), meanStd(cep, u.mask, a, b, NC, false)];
  let n = 0;
  for (let t = a; t < b; t++) n += u.mask[t]!;
  const out: number[] = [];
  for (let i = 0; i < NC; i++) {
    for (let j = i + 1; j < NC; j++) {
      let s = 0, c = 0;
      for (let t = a; t < b; t++) if (n < 10 || u.mask[t]) (s += (cep[t * NC + i]! - m[i]!) * (cep[t * NC + j]! - m[j]!)), c++;
      out.push(c ? s / c / (sd[i]! * sd[j]! + 1e-9) : 0);
    }
  }
  return out;
}
const FEATURES: Record<string, (u: Fb, a: number, b: number) => number[]> = {
  meanStd: (u, a, b) => meanStd(u.data, u.mask, a, b, BINS, true), // the shipped 160-d statistics
  plusDeltaStd: (u, a, b) => [...meanStd(u.data, u.mask, a, b, BINS, true), ...meanStd(delta(u), u.mask, a, b, BINS, false)],
  plusCorrelations: (u, a, b) => [...meanStd(u.data, u.mask, a, b, BINS, true), ...cepstralCorrelations(u, a, b)],
};

interface Variant {
  name: string; features?: string; segs?: number[]; hop?: number; train?: string[]; dim?: number; plda?: boolean; whiten?: boolean;
  /** Speed-perturbed copies as extra training speakers: [version of the clean audio, its Opus version][]. */
  perturbed?: [string, string][]; perturbedInCohort?: boolean; perturbedPldaOnly?: boolean;
}
const SHIPPED_TRAIN = ["clean", "opus16", "opus32"];

function utterances(fb: Record<string, Fb[]>, v: Variant, clean = "clean", opus = "opus16", train = v.train ?? SHIPPED_TRAIN): Utt[] {
  const f = FEATURES[v.features ?? "meanStd"]!;
  const stats = (u: Fb, a: number, b: number) => Float32Array.from(f(u, a, b));
  return fb[clean]!.map((c, i) => {
    const segments: Float32Array[] = [];
    for (const name of train) {
      const u = fb[name]![i]!;
      for (const seg of v.segs ?? [200]) {
        const hop = Math.max(1, Math.floor(seg * (v.hop ?? 0.5)));
        for (let a = 0; a + seg <= u.frames; a += hop) segments.push(stats(u, a, a + seg));
      }
    }
    const o = fb[opus]![i]!;
    const mc = Math.floor(c.frames / 2), mo = Math.floor(o.frames / 2);
    return { speaker: clean === "clean" ? String(i) : `${clean}-${i}`, full: stats(c, 0, c.frames), segments, halves: [stats(c, 0, mc), stats(c, mc, c.frames)], codecHalf: stats(o, mo, o.frames) };
  });
}

function run(fb: Record<string, Fb[]>, v: Variant) {
  const bg = utterances(fb, v);
  const extra = (v.perturbed ?? []).map(([c, o]) => utterances(fb, v, c, o, [c, o]));
  const g: number[] = [], im: number[] = [];
  for (let k = 0; k < 5; k++) {
    const real = bg.filter((_, i) => i % 5 !== k), test = bg.filter((_, i) => i % 5 === k);
    const train = [...real, ...extra.flatMap((e) => e.filter((_, i) => i % 5 !== k))];
    const proj = trainProjection(v.perturbedPldaOnly ? real : train, { segFrames: 0, dim: v.dim ?? 60, shrink: 0.05 });
    let emb = (x: Float32Array) => projectStats(x, proj);
    const groups = (e: typeof emb) => train.map((u) => [...u.segments, u.halves[0], u.halves[1], u.codecHalf].map(e));
    if (v.whiten) {
      // WCCN-style: make the within-speaker covariance of the embeddings the identity, then length-normalise again.
      const w = fitPlda(groups(emb));
      const lda = emb;
      emb = (x) => {
        const e = lda(x);
        const y = e.map((_, j) => e.reduce((s, xi, i) => s + (xi - w.mean[i]!) * w.transform[i * w.psi.length + j]!, 0));
        const n = Math.hypot(...y);
        return y.map((t) => t / n);
      };
    }
    const p = v.plda ? fitPlda(groups(emb)) : undefined;
    const cohort: VoiceCohort = {
      modelId: "bench", dim: v.dim ?? 60, topK: 25, embeddings: (v.perturbedInCohort ? train : real).map((u) => emb(u.full)),
      ...(p ? { plda: { mean: Float32Array.from(p.mean), transform: Float32Array.from(p.transform), psi: Float32Array.from(p.psi) } } : {}),
    };
    const enrol = test.map((u) => emb(u.halves[0]));
    const es = enrol.map((e) => cohortStats(e, cohort));
    for (const second of [(u: Utt) => u.halves[1], (u: Utt) => u.codecHalf]) {
      const probes = test.map((u) => emb(second(u)));
      for (let i = 0; i < test.length; i++) for (let j = 0; j < test.length; j++) (i === j ? g : im).push(scoreVoice(enrol[i]!, probes[j]!, cohort, es[i]).normalised);
    }
  }
  const sorted = [...im].sort((a, b) => b - a);
  const fnmr = (fmr: number) => {
    const t = sorted[Math.floor(fmr * sorted.length)]! + 1e-9;
    return ((100 * g.filter((x) => x < t).length) / g.length).toFixed(1);
  };
  console.log(`${v.name}: EER ${(100 * computeEer(g, im).eer).toFixed(2)} %, FNMR at FMR 0.5 % ${fnmr(0.005)} %, at 1 % ${fnmr(0.01)} %`);
}

const VARIANTS: Variant[] = [
  { name: "shipped LDA, cosine + AS-norm (before)" },
  { name: "shipped LDA, PLDA + AS-norm (shipped)", plda: true },
  { name: "75 % segment overlap", hop: 0.25 },
  { name: "1.5 + 2 + 3 s segments, 75 % overlap", segs: [150, 200, 300], hop: 0.25 },
  { name: "1.5 + 2 + 3 s segments, 75 % overlap, PLDA", segs: [150, 200, 300], hop: 0.25, plda: true },
  { name: "+ babble 15 dB and white noise 20 dB versions", train: Object.keys(VERSIONS) },
  { name: "+ std of deltas (240-d)", features: "plusDeltaStd" },
  { name: "+ std of deltas, LDA 80", features: "plusDeltaStd", dim: 80 },
  { name: "+ cepstral correlations (226-d)", features: "plusCorrelations" },
  { name: "+ cepstral correlations, LDA 100, PLDA", features: "plusCorrelations", dim: 100, plda: true },
  { name: "within-speaker whitening + length norm, cosine", whiten: true },
  { name: "within-speaker whitening + length norm, PLDA", whiten: true, plda: true },
  { name: "LDA 40, PLDA", dim: 40, plda: true },
  { name: "speed-perturbed speakers (x2), PLDA", plda: true, perturbed: [["speed111", "speed111opus16"], ["speed091", "speed091opus16"]] },
  { name: "speed-perturbed speakers (x2), PLDA, in the cohort too", plda: true, perturbed: [["speed111", "speed111opus16"], ["speed091", "speed091opus16"]], perturbedInCohort: true },
  { name: "speed-perturbed speakers (x2), PLDA, LDA 80", plda: true, dim: 80, perturbed: [["speed111", "speed111opus16"], ["speed091", "speed091opus16"]] },
  { name: "speed-perturbed speakers (x2) in the PLDA only (shipped LDA)", plda: true, perturbedPldaOnly: true, perturbed: [["speed111", "speed111opus16"], ["speed091", "speed091opus16"]] },
  { name: "speed-perturbed speakers (x4: 0.91, 0.95, 1.05, 1.11), PLDA", plda: true, perturbed: [["speed111", "speed111opus16"], ["speed091", "speed091opus16"], ["speed105", "speed105opus16"], ["speed095", "speed095opus16"]] },
  { name: "speed-perturbed speakers (x2: 0.95, 1.05), PLDA", plda: true, perturbed: [["speed105", "speed105opus16"], ["speed095", "speed095opus16"]] },
  { name: "speed-perturbed speakers (x2), cosine", perturbed: [["speed111", "speed111opus16"], ["speed091", "speed091opus16"]] },
];

const fb = await fbanks();
const only = process.argv[2];
for (const v of VARIANTS) if (!only || v.name.includes(only)) run(fb, v);
