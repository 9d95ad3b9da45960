// Decoded 16 kHz audio -> the features every embedder starts from: the Kaldi fbank, the VAD verdict and the
// utterance statistics (per-bin mean and standard deviation of log-mel over the speech frames) that the
// trained projection consumes.
import { computeFbank, type Fbank, type FbankOptions } from "./fbank";
import { detectVoice, type VadOptions, type VadResult } from "./vad";

export const FBANK_BINS = 80;
export const STATS_DIM = 2 * FBANK_BINS;

export interface VoiceFeatures {
  fbank: Fbank;
  vad: VadResult;
  /** [mean(80), std(80)] over speech frames. */
  stats: Float32Array;
}

export function extractVoiceFeatures(samples16k: Float32Array, opts: { fbank?: FbankOptions; vad?: VadOptions } = {}): VoiceFeatures {
  const fbank = computeFbank(samples16k, opts.fbank);
  const vad = detectVoice(fbank, opts.vad);
  return { fbank, vad, stats: utteranceStats(fbank, vad.speechMask) };
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
  };
}
