// Kaldi-compatible log-mel filterbank (the `compute-fbank-feats` / torchaudio.compliance.kaldi.fbank
// recipe): snip_edges framing, per-frame DC removal, pre-emphasis, window, zero-pad to a power of two,
// power spectrum, triangular mel filters (Kaldi's 1127*ln(1+f/700) scale), natural log floored at float
// epsilon. Waveforms are scaled to the 16-bit integer range first, as Kaldi and WeSpeaker feed int16 audio;
// speaker models trained on such features expect that absolute level.
//
// The same pass also reports per-frame energy, spectral flatness and tonality for the VAD, so the
// spectrum is computed once.

export type WindowType = "povey" | "hamming" | "hanning";

export interface FbankOptions {
  sampleRate?: number; // 16000
  numMelBins?: number; // 80
  frameLengthMs?: number; // 25
  frameShiftMs?: number; // 10
  preemphasis?: number; // 0.97
  window?: WindowType; // "povey" (Kaldi's default; WeSpeaker recipes use "hamming")
  lowFreq?: number; // 20 Hz
  highFreq?: number; // 0 = Nyquist
}

export interface Fbank {
  /** Row-major [frames, bins] natural-log mel energies. */
  data: Float32Array;
  frames: number;
  bins: number;
  /** Per frame: log10 of the mean-square of the raw (DC-removed) frame, in dBFS. */
  energyDb: Float32Array;
  /** Per frame: spectral flatness (geometric / arithmetic mean of power, 100-7000 Hz), 1 = white. */
  flatness: Float32Array;
  /** Per frame: share of 100-7000 Hz power within +-2 bins of the strongest bin; ~1 for a pure tone. */
  peakShare: Float32Array;
  /** Per frame: the same for the two strongest peaks (the second outside +-2 bins of the first); ~1 for two tones. */
  twoPeakShare: Float32Array;
}

/** The floor of the log-mel values (float epsilon, as Kaldi). */
export const FLT_EPS = 1.1920928955078125e-7;

export function computeFbank(samples: Float32Array, opts: FbankOptions = {}): Fbank {
  const sr = opts.sampleRate ?? 16000;
  const bins = opts.numMelBins ?? 80;
  const frameLen = Math.round((sr * (opts.frameLengthMs ?? 25)) / 1000);
  const shift = Math.round((sr * (opts.frameShiftMs ?? 10)) / 1000);
  const preemph = opts.preemphasis ?? 0.97;
  const nfft = nextPow2(frameLen);
  const plan = getPlan(sr, bins, frameLen, nfft, opts.window ?? "povey", opts.lowFreq ?? 20, opts.highFreq ?? 0, preemph);
  const frames = samples.length < frameLen ? 0 : 1 + Math.floor((samples.length - frameLen) / shift);

  const data = new Float32Array(frames * bins);
  const energyDb = new Float32Array(frames);
  const flatness = new Float32Array(frames);
  const peakShare = new Float32Array(frames);
  const twoPeakShare = new Float32Array(frames);
  // Real FFT of nfft points as one complex FFT of nfft/2 points (even samples real, odd imaginary) plus a
  // split step: half the work of a full complex transform.
  const half = nfft / 2;
  const buf = new Float64Array(nfft);
  const re = new Float64Array(half);
  const im = new Float64Array(half);
  const frame = new Float64Array(frameLen);
  const power = new Float64Array(nfft / 2 + 1);
  const lo = Math.max(1, Math.round((100 * nfft) / sr));
  const hi = Math.min(nfft / 2, Math.round((7000 * nfft) / sr));

  for (let f = 0; f < frames; f++) {
    const off = f * shift;
    let mean = 0;
    for (let i = 0; i < frameLen; i++) {
      const v = samples[off + i]! * 32768;
      frame[i] = v;
      mean += v;
    }
    mean /= frameLen;
    let energy = 0;
    for (let i = 0; i < frameLen; i++) {
      const v = frame[i]! - mean;
      frame[i] = v;
      energy += v * v;
    }
    energyDb[f] = 10 * Math.log10(energy / frameLen / (32768 * 32768) + 1e-20);
    // Pre-emphasis runs backwards so each sample still sees its unmodified predecessor; Kaldi treats the
    // sample before the first as the first itself.
    for (let i = frameLen - 1; i > 0; i--) frame[i] = frame[i]! - preemph * frame[i - 1]!;
    frame[0] = frame[0]! - preemph * frame[0]!;
    for (let i = 0; i < frameLen; i++) buf[i] = frame[i]! * plan.window[i]!;
    buf.fill(0, frameLen);
    for (let n = 0; n < half; n++) {
      re[n] = buf[2 * n]!;
      im[n] = buf[2 * n + 1]!;
    }
    fft(re, im, plan);
    for (let k = 0; k <= half; k++) {
      const k1 = k % half;
      const k2 = (half - k) % half;
      const ar = re[k1]!;
      const ai = im[k1]!;
      const cr = re[k2]!;
      const ci = -im[k2]!;
      // X[k] = E + W^k O with E = (Z[k] + conj Z[M-k]) / 2, O = (Z[k] - conj Z[M-k]) / 2i, W = e^{-2 pi i / nfft}
      const er = (ar + cr) / 2;
      const ei = (ai + ci) / 2;
      const or = (ai - ci) / 2;
      const oi = -(ar - cr) / 2;
      const wr = plan.splitCos[k]!;
      const wi = plan.splitSin[k]!;
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      power[k] = xr * xr + xi * xi;
    }

    const row = f * bins;
    for (let b = 0; b < bins; b++) {
      const start = plan.melStart[b]!;
      const w = plan.melWeights[b]!;
      let acc = 0;
      for (let k = 0; k < w.length; k++) acc += w[k]! * power[start + k]!;
      data[row + b] = Math.log(Math.max(acc, FLT_EPS));
    }

    // VAD statistics on the spectrum with the pre-emphasis tilt undone: otherwise white noise looks
    // "coloured" (the filter's gain spans 30 dB over 100-7000 Hz) and passes as speech.
    let sum = 0;
    let logSum = 0;
    let peakK = lo;
    for (let k = lo; k <= hi; k++) power[k] = power[k]! * plan.deemph[k]!;
    for (let k = lo; k <= hi; k++) {
      const p = power[k]!;
      sum += p;
      logSum += Math.log(p + 1e-10);
      if (p > power[peakK]!) peakK = k;
    }
    const n = hi - lo + 1;
    flatness[f] = sum > 0 ? Math.exp(logSum / n) / (sum / n + 1e-10) : 1;
    let peak = 0;
    for (let k = Math.max(lo, peakK - 2); k <= Math.min(hi, peakK + 2); k++) peak += power[k]!;
    peakShare[f] = sum > 0 ? peak / sum : 0;
    let secondK = -1;
    for (let k = lo; k <= hi; k++) if (Math.abs(k - peakK) > 2 && (secondK < 0 || power[k]! > power[secondK]!)) secondK = k;
    let second = 0;
    if (secondK >= 0) for (let k = Math.max(lo, secondK - 2); k <= Math.min(hi, secondK + 2); k++) if (Math.abs(k - peakK) > 2) second += power[k]!;
    twoPeakShare[f] = sum > 0 ? (peak + second) / sum : 0;
  }
  return { data, frames, bins, energyDb, flatness, peakShare, twoPeakShare };
}

interface Plan {
  window: Float64Array;
  /** Tables of the nfft/2-point complex FFT. */
  cos: Float64Array;
  sin: Float64Array;
  rev: Uint32Array;
  /** e^{-2 pi i k / nfft}, k = 0 .. nfft/2, for the real-FFT split step. */
  splitCos: Float64Array;
  splitSin: Float64Array;
  melStart: number[];
  melWeights: Float64Array[];
  /** 1 / |1 - a e^{-jw}|^2 per FFT bin. */
  deemph: Float64Array;
}

const plans = new Map<string, Plan>();

function getPlan(
  sr: number,
  bins: number,
  frameLen: number,
  nfft: number,
  window: WindowType,
  low: number,
  high: number,
  preemph: number,
): Plan {
  const key = [sr, bins, frameLen, nfft, window, low, high, preemph].join(":");
  const cached = plans.get(key);
  if (cached) return cached;

  const win = new Float64Array(frameLen);
  const a = (2 * Math.PI) / (frameLen - 1);
  for (let i = 0; i < frameLen; i++) {
    const hann = 0.5 - 0.5 * Math.cos(a * i);
    win[i] = window === "povey" ? Math.pow(hann, 0.85) : window === "hamming" ? 0.54 - 0.46 * Math.cos(a * i) : hann;
  }

  const m = nfft / 2; // size of the complex FFT
  const cos = new Float64Array(m / 2);
  const sin = new Float64Array(m / 2);
  for (let i = 0; i < m / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / m);
    sin[i] = -Math.sin((2 * Math.PI * i) / m);
  }
  const bits = Math.log2(m);
  const rev = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const splitCos = new Float64Array(m + 1);
  const splitSin = new Float64Array(m + 1);
  for (let k = 0; k <= m; k++) {
    splitCos[k] = Math.cos((2 * Math.PI * k) / nfft);
    splitSin[k] = -Math.sin((2 * Math.PI * k) / nfft);
  }

  // Mel filters exactly as torchaudio's get_mel_banks: defined over FFT bins 0 .. nfft/2 - 1 (the Nyquist
  // bin gets weight 0), triangles linear in mel.
  const nyquist = sr / 2;
  const highFreq = high <= 0 ? nyquist + high : high;
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const melLow = mel(low);
  const melHigh = mel(highFreq);
  const delta = (melHigh - melLow) / (bins + 1);
  const binWidth = sr / nfft;
  const melStart: number[] = [];
  const melWeights: Float64Array[] = [];
  for (let b = 0; b < bins; b++) {
    const left = melLow + b * delta;
    const center = left + delta;
    const right = center + delta;
    const weights: number[] = [];
    let start = -1;
    for (let k = 0; k < nfft / 2; k++) {
      const m = mel(k * binWidth);
      const up = (m - left) / (center - left);
      const down = (right - m) / (right - center);
      const w = Math.max(0, Math.min(up, down));
      if (w > 0) {
        if (start < 0) start = k;
        weights[k - start] = w;
      } else if (start >= 0) break;
    }
    melStart.push(Math.max(0, start));
    melWeights.push(Float64Array.from(weights, (w) => w ?? 0));
  }
  const deemph = new Float64Array(nfft / 2 + 1);
  for (let k = 0; k <= nfft / 2; k++) {
    const w = (2 * Math.PI * k) / nfft;
    deemph[k] = 1 / Math.max(1e-6, 1 - 2 * preemph * Math.cos(w) + preemph * preemph);
  }
  const plan = { window: win, cos, sin, rev, splitCos, splitSin, melStart, melWeights, deemph };
  plans.set(key, plan);
  return plan;
}

/** In-place iterative radix-2 complex FFT. */
function fft(re: Float64Array, im: Float64Array, plan: Plan): void {
  const n = re.length;
  const { rev, cos, sin } = plan;
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const halfSize = size >> 1;
    const step = n / size;
    for (let startIdx = 0; startIdx < n; startIdx += size) {
      for (let k = 0; k < halfSize; k++) {
        const wr = cos[k * step]!;
        const wi = sin[k * step]!;
        const a = startIdx + k;
        const b = a + halfSize;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}
