// Decoded 16 kHz audio -> the features every embedder starts from: the Kaldi fbank, the VAD verdict and the
// utterance statistics (per-bin mean and standard deviation of log-mel over the speech frames) that the
// trained projection consumes.
import { computeFbank, FLT_EPS, type Fbank, type FbankOptions } from "./fbank";
import { type HumFound, removeMainsHum } from "./hum";
import { detectVoice, type VadOptions, type VadResult } from "./vad";

export const FBANK_BINS = 80;
export const STATS_DIM = 2 * FBANK_BINS;

export interface VoiceFeatures {
  fbank: Fbank;
  vad: VadResult;
  /** [mean(80), std(80)] over speech frames. */
  stats: Float32Array;
  /** A mains hum notched out before the features were taken (./hum.ts), if there was one. */
  hum: HumFound | null;
}

/**
 * `level: "as recorded"` skips levelIntoTrainedRange and the hum notch: scripts/voice/lda.ts trains on the recordings as
 * they are, so that rerunning it reproduces the shipped projection (trained before either was done at inference).
 */
export function extractVoiceFeatures(
  samples16k: Float32Array,
  opts: { fbank?: FbankOptions; vad?: VadOptions; level?: "into trained range" | "as recorded" } = {},
): VoiceFeatures {
  const asRecorded = opts.level === "as recorded";
  const { samples, hum } = asRecorded ? { samples: samples16k, hum: null } : removeMainsHum(samples16k);
  const recorded = computeFbank(samples, opts.fbank);
  const fbank = asRecorded ? recorded : levelIntoTrainedRange(recorded);
  const vad = detectVoice(fbank, opts.vad);
  return { fbank, vad, stats: utteranceStats(fbank, vad.speechMask), hum };
}

/**
 * The speech levels of the recordings the projection was trained and calibrated on: the clip's loud frames (95th
 * percentile of frame energy, as the VAD measures them) lie between -31 and -10.6 dBFS in the 301 shared LibriSpeech
 * utterances (1st-99th percentile -28.9 to -12.5).
 */
export const TRAINED_SPEECH_LEVEL_DB = { min: -29, max: -12.5 } as const;
/** Below this the clip is silence for the VAD (its `minSpeechDb`): never amplified into "speech". */
const SILENCE_DB = -60;

/** The loud-frame level of a clip (dBFS): the VAD's `loudDb`. */
export function speechLevelDb(fb: Fbank): number {
  if (fb.frames === 0) return -Infinity;
  const sorted = Float32Array.from(fb.energyDb).sort();
  return sorted[Math.floor(0.95 * (fb.frames - 1))]!;
}

/**
 * A clip recorded quieter or louder than the training recordings is brought to the nearest edge of their range,
 * as a digital gain would (every log-mel value and frame energy moves by the same amount; the spectral shape does
 * not). Why: the mean log-mel the projection reads carries the recording level, so a quiet laptop microphone
 * (-26 dB) made a genuine student's clips score as another speaker's (BENCHMARKS.md, "Recording level"). Clips
 * within the range are untouched, so the calibrated operating points and the stored templates still hold.
 */
export function levelIntoTrainedRange(fb: Fbank): Fbank {
  const level = speechLevelDb(fb);
  if (!(level >= SILENCE_DB)) return fb;
  const gainDb = level < TRAINED_SPEECH_LEVEL_DB.min ? TRAINED_SPEECH_LEVEL_DB.min - level : level > TRAINED_SPEECH_LEVEL_DB.max ? TRAINED_SPEECH_LEVEL_DB.max - level : 0;
  if (gainDb === 0) return fb;
  const logGain = (gainDb * Math.LN10) / 10;
  const floor = Math.log(FLT_EPS) + 1e-3;
  const data = fb.data.map((v) => (v > floor ? v + logGain : v));
  const energyDb = fb.energyDb.map((v) => v + gainDb);
  return { ...fb, data, energyDb };
}

/**
 * Mean and standard deviation per mel bin over the frames in `mask` (all frames when fewer than 10 are
 * marked, so a no-speech clip still yields finite numbers for diagnostics).
 */
export function utteranceStats(fb: Fbank, mask?: Uint8Array): Float32Array {
  const d = fb.bins;
  let count = 0;
  if (mask) for (let i = 0; i < fb.frames; i++) count += mask[i]!;
  const useMask = mask !== undefined && count >= 10;
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  let n = 0;
  for (let f = 0; f < fb.frames; f++) {
    if (useMask && !mask[f]) continue;
    n++;
    const row = f * d;
    for (let b = 0; b < d; b++) {
      const v = fb.data[row + b]!;
      sum[b] = sum[b]! + v;
      sq[b] = sq[b]! + v * v;
    }
  }
  const out = new Float32Array(2 * d);
  if (n === 0) return out;
  for (let b = 0; b < d; b++) {
    const mean = sum[b]! / n;
    out[b] = mean;
    out[d + b] = Math.sqrt(Math.max(0, sq[b]! / n - mean * mean));
  }
  return out;
}

/** Frames [start, end) of an fbank as its own Fbank (views, no copy), for segment statistics in training. */
export function sliceFbank(fb: Fbank, start: number, end: number): Fbank {
  const s = Math.max(0, start);
  const e = Math.min(fb.frames, end);
  return {
    data: fb.data.subarray(s * fb.bins, e * fb.bins),
    frames: Math.max(0, e - s),
    bins: fb.bins,
    energyDb: fb.energyDb.subarray(s, e),
    flatness: fb.flatness.subarray(s, e),
    peakShare: fb.peakShare.subarray(s, e),
    twoPeakShare: fb.twoPeakShare.subarray(s, e),
  };
}

/**
 * Which band each of `bins` mel bins (20 Hz to 8 kHz, the fbank's defaults at 16 kHz) belongs to by its centre
 * frequency: "high" (4 kHz and up), "speech" (300-3400 Hz) or neither. Computed once per bin count.
 */
const bandsByBins = new Map<number, ("high" | "speech" | null)[]>();
function melBands(bins: number) {
  let bands = bandsByBins.get(bins);
  if (!bands) {
    const mel = (f: number) => 1127 * Math.log(1 + f / 700);
    const low = mel(20);
    bands = Array.from({ length: bins }, (_, i) => {
      const hz = 700 * (Math.exp((low + ((i + 1) * (mel(8000) - low)) / (bins + 1)) / 1127) - 1);
      return hz >= 4000 ? "high" : hz >= 300 && hz <= 3400 ? "speech" : null;
    });
    bandsByBins.set(bins, bands);
  }
  return bands;
}

/**
 * How much of the speech's energy lies above 4 kHz, in dB against the 300-3400 Hz band (mean log-mel over the speech
 * frames): about -15 to -30 dB for wideband speech, far lower for telephone-band audio (a call, a Bluetooth headset in
 * hands-free mode) even when it arrives in a 16 kHz file. Only for the refusal's hint (services/biometrics/voice.ts).
 */
export function highBandDb(fb: Fbank, mask?: Uint8Array): number {
  const d = fb.bins;
  const bands = melBands(d);
  let high = 0;
  let mid = 0;
  let nh = 0;
  let nm = 0;
  for (let t = 0; t < fb.frames; t++) {
    if (mask && !mask[t]) continue;
    for (let i = 0; i < d; i++) {
      const v = fb.data[t * d + i]!;
      if (bands[i] === "high") {
        high += v;
        nh++;
      } else if (bands[i] === "speech") {
        mid += v;
        nm++;
      }
    }
  }
  if (nh === 0 || nm === 0) return 0;
  return ((high / nh - mid / nm) * 10) / Math.LN10;
}
