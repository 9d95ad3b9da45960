// Does fundamental-frequency (pitch) information help the shipped voice model (v2)? The 160-d statistics (log-mel
// mean and std over the VAD's speech frames) carry pitch only indirectly; here every statistics vector (2 s training
// segments, 3 s halves, the Opus half, the whole clip; clean, Opus and the 0.91x / 1.11x speed copies alike) gets
// pitch statistics appended, from a YIN F0 track (de Cheveigné & Kawahara 2002: 40 ms window, 60-400 Hz,
// aperiodicity threshold 0.15, after a 1 kHz low-pass) over the same frames' speech frames: mean, std, 10th / 50th /
// 90th percentile of log-F0 over the voiced frames and the voiced share of the speech frames (fixed neutral values
// under 10 voiced frames). No rescaling: the LDA (scripts/voice/lda.ts trainProjection) z-scores every input
// dimension against its training speakers' whole-clip statistics before anything else. Variants, fixed before the
// first run: v2 as shipped (LDA 60, PLDA, speakers at 0.91x / 1.11x), v2 + the six pitch statistics (166-d), v2 +
// only mean and std of log-F0 (162-d). Same protocol and code as bench/voice-plda.ts (5 speaker-disjoint folds of
// the 251 background speakers, 3 s enrolment vs 3 s probe, clean and Opus, thresholds cross-fitted on the other
// folds, exact sign test on the genuine trials only one side rejects), on its three speaker partitions, with FNMR
// at the FMR 0.5 % (`high`), 1 % and 2 % (`standard`) rules. The eval speakers are never read.
//   npx tsx bench/voice-pitch.ts                        # all three partitions (mod, blocks, shuffle)
//   VOICE_CV_SPLIT=blocks npx tsx bench/voice-pitch.ts  # one partition
// First run: the background's statistics (bench/voice-data.ts cache, VOICE_CACHE_DIR, ~2 min per speed) and the
// pitch tracks (decode, Opus 16/32 kbps round trips, fbank + VAD, YIN on the speech frames: ~2-3 min per speed,
// cached under VOICE_PITCH_CACHE, default /tmp/voice-pitch); then about 1 min per partition (3 variants x 5 folds).
// YIN costs ~120 ms per 5.7 s clip (21 ms per second of audio) on a busy 2-core machine.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { BACKGROUND, OPUS_KBPS, SPEED_RATES, type Params, type Utt } from "../scripts/voice/lda";
import { fitVoicePlda } from "../scripts/voice/plda";
import { computeEer } from "../scripts/voice/metrics";
import { opusRoundTrip } from "../scripts/voice/opus-roundtrip";
import { extractVoiceFeatures, utteranceStats } from "../src/biometrics/voice/features";
import { setOpusWasm } from "../src/biometrics/voice/opus";
import { parseWav } from "../src/biometrics/voice/wav";
import { resample } from "../src/biometrics/voice/resample";
import { backgroundUtts } from "./voice-data";
import { fmtRate } from "./rates";
import { atRule, cvTrials } from "./voice-cv";
import { VOICE_LEVEL_RULES } from "./voice-level-rules";

const SR = 16000;
const SHIFT = 160; // the fbank's 10 ms frame shift
const FBANK_LEN = 400; // and its 25 ms window: frame f covers samples [160 f, 160 f + 400)
export const YIN = { windowMs: 40, minHz: 60, maxHz: 400, threshold: 0.15, lowPassHz: 1000 } as const;
const N = Math.round((SR * YIN.windowMs) / 1000); // 640 samples
const MAX_LAG = Math.ceil(SR / YIN.minHz); // 267
const MIN_LAG = Math.floor(SR / YIN.maxHz); // 40
const W = N - MAX_LAG; // integration window (373 samples, 23 ms: over one period at 60 Hz)

/**
 * YIN F0 (Hz) of the 40 ms starting at `start`, 0 when aperiodic: difference function, cumulative mean
 * normalised difference d', the first lag in [MIN_LAG, MAX_LAG] with d' under the threshold walked down to its
 * local minimum, parabolic interpolation. `d`: scratch of MAX_LAG + 1.
 */
export function yinF0(x: Float32Array, start: number, d: Float64Array): number {
  for (let tau = 1; tau <= MAX_LAG; tau++) {
    let s = 0;
    for (let j = start, e = start + W; j < e; j++) {
      const v = x[j]! - x[j + tau]!;
      s += v * v;
    }
    d[tau] = s;
  }
  let cum = 0;
  for (let tau = 1; tau <= MAX_LAG; tau++) {
    cum += d[tau]!;
    d[tau] = cum > 0 ? (d[tau]! * tau) / cum : 1;
  }
  for (let tau = MIN_LAG; tau < MAX_LAG; tau++) {
    if (d[tau]! >= YIN.threshold) continue;
    while (tau + 1 < MAX_LAG && d[tau + 1]! < d[tau]!) tau++;
    const a = d[tau - 1]!, b = d[tau]!, c = d[tau + 1]!;
    const den = a - 2 * b + c;
    const t = den > 0 ? tau + (0.5 * (a - c)) / den : tau;
    const f0 = SR / t;
    return f0 >= YIN.minHz && f0 <= YIN.maxHz ? f0 : 0;
  }
  return 0;
}

/** Windowed-sinc low-pass (Hamming, 101 taps, unit DC gain), zero-phase (centred). */
export function lowPass(x: Float32Array, fc = YIN.lowPassHz, taps = 101): Float32Array {
  const h = new Float64Array(taps), m = (taps - 1) / 2;
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const t = i - m;
    h[i] = (t === 0 ? (2 * fc) / SR : Math.sin((2 * Math.PI * fc * t) / SR) / (Math.PI * t)) * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (taps - 1)));
    sum += h[i]!;
  }
  for (let i = 0; i < taps; i++) h[i] = h[i]! / sum;
  const y = new Float32Array(x.length);
  for (let n = 0; n < x.length; n++) {
    let s = 0;
    const lo = Math.max(0, m - n), hi = Math.min(taps, x.length + m - n);
    for (let i = lo; i < hi; i++) s += h[i]! * x[n - i + m]!;
    y[n] = s;
  }
  return y;
}

/**
 * Per fbank frame: YIN F0 on a 40 ms window centred on the frame, on the speech frames only (0 elsewhere), after
 * a 1 kHz low-pass (as in de Cheveigné & Kawahara's evaluation; on the raw 16 kHz audio the aperiodic high band
 * left only ~30 % of speech frames voiced at the 0.15 threshold, checked on 8 background clips before any CV run).
 */
export function pitchTrack(samples: Float32Array, mask: Uint8Array): Float32Array {
  const x = lowPass(samples);
  const f0 = new Float32Array(mask.length);
  if (x.length < N + 1) return f0;
  const d = new Float64Array(MAX_LAG + 1);
  for (let f = 0; f < mask.length; f++) {
    if (!mask[f]) continue;
    const start = Math.min(Math.max(0, f * SHIFT + FBANK_LEN / 2 - N / 2), x.length - N);
    f0[f] = yinF0(x, start, d);
  }
  return f0;
}

/** One version of a background clip (clean, Opus 16, Opus 32 kbps): its VAD mask and F0 track per fbank frame. */
interface Track { mask: Uint8Array; f0: Float32Array }
interface ClipTracks { file: string; versions: Track[]; check: number[] /** clean full 160-d stats, to match voice-data's cache */ }

const CACHE = resolve(process.env.VOICE_PITCH_CACHE ?? "/tmp/voice-pitch");
const requireFromRepo = createRequire(join(process.cwd(), "package.json"));
const yinTimes: { ms: number; seconds: number }[] = [];

/** The pitch tracks of every background clip, at 16 kHz or speed-perturbed to `speedRate` exactly as
 * scripts/voice/lda.ts loadBackground makes its copies (same files, order, resampling and Opus round trips). */
async function backgroundTracks(speedRate?: number): Promise<ClipTracks[]> {
  const path = join(CACHE, `tracks${speedRate ? `-speed${speedRate}` : ""}.json`);
  if (existsSync(path)) {
    const js = JSON.parse(readFileSync(path, "utf8")) as { file: string; versions: { mask: number[]; f0: number[] }[]; check: number[] }[];
    return js.map((j) => ({ file: j.file, check: j.check, versions: j.versions.map((v) => ({ mask: Uint8Array.from(v.mask), f0: Float32Array.from(v.f0) })) }));
  }
  setOpusWasm(new WebAssembly.Module(readFileSync(requireFromRepo.resolve("@evan/opus/wasm/opus.wasm"))));
  const files = readdirSync(BACKGROUND).filter((f) => f.endsWith(".wav")).sort();
  const out: ClipTracks[] = [];
  const t0 = performance.now();
  for (const f of files) {
    const pcm = parseWav(readFileSync(join(BACKGROUND, f)));
    const at16k = pcm.sampleRate === SR ? pcm.samples : resample(pcm.samples, pcm.sampleRate, SR);
    const s = speedRate ? resample(at16k, SR, speedRate) : at16k;
    const audio = [s];
    for (const kbps of OPUS_KBPS) audio.push(await opusRoundTrip(s, kbps));
    let check: number[] = [];
    const versions = audio.map((x, v) => {
      const feats = extractVoiceFeatures(x, { level: "as recorded" });
      if (v === 0) check = Array.from(utteranceStats(feats.fbank, feats.vad.speechMask));
      const t = performance.now();
      const f0 = pitchTrack(x, feats.vad.speechMask);
      yinTimes.push({ ms: performance.now() - t, seconds: x.length / SR });
      return { mask: feats.vad.speechMask, f0 };
    });
    out.push({ file: f, versions, check });
  }
  console.log(`pitch tracks: ${files.length} clips x ${1 + OPUS_KBPS.length} versions${speedRate ? ` at ${speedRate} Hz` : ""} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(path, JSON.stringify(out.map((c) => ({ file: c.file, check: c.check, versions: c.versions.map((v) => ({ mask: Array.from(v.mask), f0: Array.from(v.f0) })) }))));
  return out;
}

type PitchKind = "six" | "meanstd";
const MIN_VOICED = 10;
/** Fixed before any run, not fitted: 155 Hz (between typical male and female voices), a 0.15 spread (~2.6 semitones). */
const NEUTRAL = { logF0: Math.log(155), std: 0.15 };

/** Pitch statistics of frames [a, b): log-F0 mean, std (and 10/50/90th percentiles, voiced share for "six"). */
export function pitchStats(t: Track, a: number, b: number, kind: PitchKind): number[] {
  const logs: number[] = [];
  let speech = 0;
  for (let f = a; f < b; f++) {
    if (!t.mask[f]) continue;
    speech++;
    if (t.f0[f]! > 0) logs.push(Math.log(t.f0[f]!));
  }
  const share = speech > 0 ? logs.length / speech : 0;
  let mean = NEUTRAL.logF0, std = NEUTRAL.std, p10 = mean, p50 = mean, p90 = mean;
  if (logs.length >= MIN_VOICED) {
    mean = logs.reduce((s, v) => s + v, 0) / logs.length;
    std = Math.sqrt(logs.reduce((s, v) => s + (v - mean) ** 2, 0) / logs.length);
    logs.sort((x, y) => x - y);
    const q = (p: number) => {
      const i = p * (logs.length - 1), lo = Math.floor(i), hi = Math.min(lo + 1, logs.length - 1);
      return logs[lo]! + (i - lo) * (logs[hi]! - logs[lo]!);
    };
    [p10, p50, p90] = [q(0.1), q(0.5), q(0.9)];
  }
  return kind === "meanstd" ? [mean, std] : [mean, std, p10, p50, p90, share];
}

/** The Utts with pitch statistics appended to every vector, over the same frames loadBackground took its
 * statistics from (segments of 200 frames every 100 per version, the two halves per version, the clean whole). */
function withPitch(utts: Utt[], tracks: ClipTracks[], kind: PitchKind, seg = 200): Utt[] {
  if (utts.length !== tracks.length) throw new Error(`background ${utts.length} utterances, pitch tracks ${tracks.length}`);
  return utts.map((u, i) => {
    const c = tracks[i]!;
    const maxDiff = Math.max(...c.check.map((v, k) => Math.abs(v - u.full[k]!)));
    if (!(maxDiff < 1e-4)) throw new Error(`pitch tracks of ${c.file} do not match ${u.speaker}'s cached statistics (${maxDiff})`);
    const cat = (x: Float32Array, p: number[]) => {
      const y = new Float32Array(x.length + p.length);
      y.set(x);
      y.set(p, x.length);
      return y;
    };
    const segP: number[][] = [];
    const halfP: number[][] = [];
    const hop = Math.max(1, Math.floor(seg / 2));
    c.versions.forEach((t) => {
      const frames = t.mask.length;
      for (let a = 0; a + seg <= frames; a += hop) segP.push(pitchStats(t, a, a + seg, kind));
      const mid = Math.floor(frames / 2);
      halfP.push(pitchStats(t, 0, mid, kind), pitchStats(t, mid, frames, kind));
    });
    if (segP.length !== u.segments.length) throw new Error(`${u.speaker}: ${segP.length} pitch segments, ${u.segments.length} statistics segments`);
    const full0 = c.versions[0]!;
    return {
      speaker: u.speaker,
      full: cat(u.full, pitchStats(full0, 0, full0.mask.length, kind)),
      segments: u.segments.map((x, k) => cat(x, segP[k]!)),
      halves: [cat(u.halves[0], halfP[0]!), cat(u.halves[1], halfP[1]!)],
      codecHalf: cat(u.codecHalf, halfP[3]!),
    };
  });
}

// ---- The CV of bench/voice-plda.ts (its code; that file runs on import, so it is repeated here) ----
// ---- Run ----
const LDA60: Params = { segFrames: 200, dim: 60, shrink: 0.05 };
const VARIANTS: { name: string; pitch?: PitchKind }[] = [
  { name: "v2 (shipped): PLDA, LDA 60, + speakers at 0.91x / 1.11x, 160-d" },
  { name: "v2 + pitch: log-F0 mean, std, p10/p50/p90, voiced share (166-d)", pitch: "six" },
  { name: "v2 + pitch: log-F0 mean, std only (162-d)", pitch: "meanstd" },
];
const RULES: Record<string, number> = { ...VOICE_LEVEL_RULES, "FMR 1 %": 0.01 };
const SPLITS = process.env.VOICE_CV_SPLIT ? [process.env.VOICE_CV_SPLIT] : ["mod", "blocks", "shuffle"];

const bgTracks = await backgroundTracks();
const copyTracks: ClipTracks[][] = [];
for (const r of SPEED_RATES) copyTracks.push(await backgroundTracks(r));
const bg = await backgroundUtts();
const copies: Utt[][] = [];
for (const r of SPEED_RATES) copies.push(await backgroundUtts(200, r));
if (yinTimes.length) {
  const ms = yinTimes.reduce((s, t) => s + t.ms, 0), sec = yinTimes.reduce((s, t) => s + t.seconds, 0);
  console.log(`YIN: ${yinTimes.length} clips (mean ${(sec / yinTimes.length).toFixed(1)} s), ${(ms / yinTimes.length).toFixed(1)} ms per clip, ${(ms / sec).toFixed(1)} ms per second of audio (speech frames only)`);
}
{
  // Voicing sanity: share of speech frames voiced and the median F0 over the clean clips.
  const f0s: number[] = [];
  let speech = 0;
  for (const c of bgTracks) for (let f = 0; f < c.versions[0]!.mask.length; f++) if (c.versions[0]!.mask[f]) (speech++, c.versions[0]!.f0[f]! > 0 && f0s.push(c.versions[0]!.f0[f]!));
  f0s.sort((a, b) => a - b);
  console.log(`clean background: ${(100 * f0s.length / speech).toFixed(1)} % of speech frames voiced; F0 10/50/90th pct ${[0.1, 0.5, 0.9].map((p) => f0s[Math.floor(p * (f0s.length - 1))]!.toFixed(0)).join(" / ")} Hz`);
}
const data = VARIANTS.map((v) =>
  v.pitch ? { bg: withPitch(bg, bgTracks, v.pitch), copies: copies.map((c, r) => withPitch(c, copyTracks[r]!, v.pitch!)) } : { bg, copies },
);

const summary: string[] = [];
for (const split of SPLITS) {
  console.log(`\nCV partition: ${split}`);
  const t0 = performance.now();
  const results = VARIANTS.map((v, i) => ({ v, ts: cvTrials(data[i]!.bg, data[i]!.copies, LDA60, fitVoicePlda, split) }));
  console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s for ${VARIANTS.length} variants)`);
  const base = results[0]!;
  for (const { v, ts } of results) {
    const g = ts.filter((t) => t.genuine), im = ts.filter((t) => !t.genuine);
    const eer = (key: "raw" | "norm") => (100 * computeEer(g.map((t) => t[key]), im.map((t) => t[key])).eer).toFixed(2);
    console.log(`\n${v.name}: EER of the cosine ${eer("raw")} %, of the decided (normalised) score ${eer("norm")} %`);
    const cells: string[] = [];
    for (const [level, rule] of Object.entries(RULES)) {
      const r = atRule(ts, base.ts, rule);
      console.log(`  ${level} (FMR ${100 * rule} % rule, cross-fitted): FMR ${fmtRate(r.fmr)}  FNMR ${fmtRate(r.fnmr)}` +
        (v === base.v ? "" : `; genuine rejected only by v2 ${r.onlyBase}, only by this ${r.onlyThis}, McNemar p = ${r.p.toFixed(3)}`));
      cells.push(`${(100 * r.fnmr.rate).toFixed(2)} %` + (v === base.v ? "" : ` (${r.onlyBase} / ${r.onlyThis}, p ${r.p.toFixed(2)})`) + ` @ FMR ${(100 * r.fmr.rate).toFixed(2)} %`);
    }
    summary.push(`| ${split} | ${v.name} | ${cells.join(" | ")} | ${eer("norm")} % |`);
  }
}
console.log(`\n| partition | variant | \`high\` FNMR (fixed / broken, p) @ FMR | \`standard\` FNMR @ FMR | FNMR at FMR 1 % rule @ FMR | EER |\n|---|---|---|---|---|---|`);
for (const row of summary) console.log(row);
