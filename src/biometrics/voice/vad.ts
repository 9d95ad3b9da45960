// Energy + spectral voice activity detection over the fbank frames.
//
// Speech is (a) loud enough in absolute terms, (b) modulated: syllables and pauses give a wide spread of
// frame energies, where stationary noise, hum and tones stay within a few dB, (c) not spectrally flat like
// noise (flatness ~0.56 for white noise, < 0.1 for voiced speech), and (d) not a single spectral peak like a
// tone (peak share ~1.0 for a sine, ~0.3 for speech). A clip is speech when enough frames pass all the
// per-frame tests and the clip as a whole is modulated.
import type { Fbank } from "./fbank";

export interface VadOptions {
  /** Frames quieter than this (dBFS) are never speech. */
  minSpeechDb?: number; // -60
  /** Frames more than this far below the clip's loud frames are pauses. */
  relativeDb?: number; // 30
  maxFlatness?: number; // 0.3
  maxPeakShare?: number; // 0.8
  /** The speech frames' median share of their two strongest peaks above which the clip is tones (DTMF). */
  maxTwoPeakShare?: number; // 0.95: the 301 shared utterances reach 0.852 at most, keypad tones 0.999
  /** Required spread between loud (95th pct) and quiet (10th pct) frames. */
  minDynamicRangeDb?: number; // 10
  /** Speech frames needed, 10 ms each. */
  minSpeechFrames?: number; // 50 = 0.5 s
}

export type VadVerdict = "speech" | "silent" | "no_speech" | "too_short";

export interface VadResult {
  isVoiceDetected: boolean;
  verdict: VadVerdict;
  /** Per frame: 1 when the frame is counted as speech. */
  speechMask: Uint8Array;
  speechFrames: number;
  speechSeconds: number;
  loudDb: number;
  dynamicRangeDb: number;
  reason: string;
}

export function detectVoice(fb: Fbank, opts: VadOptions = {}): VadResult {
  const minSpeechDb = opts.minSpeechDb ?? -60;
  const relativeDb = opts.relativeDb ?? 30;
  const maxFlatness = opts.maxFlatness ?? 0.3;
  const maxPeakShare = opts.maxPeakShare ?? 0.8;
  const maxTwoPeakShare = opts.maxTwoPeakShare ?? 0.95;
  const minRange = opts.minDynamicRangeDb ?? 10;
  const minFrames = opts.minSpeechFrames ?? 50;
  const n = fb.frames;
  const speechMask = new Uint8Array(n);
  const base = { speechMask, speechFrames: 0, speechSeconds: 0 };
  if (n < minFrames) {
    return { ...base, isVoiceDetected: false, verdict: "too_short", loudDb: -Infinity, dynamicRangeDb: 0, reason: `clip shorter than ${minFrames / 100} s` };
  }
  const sorted = Float32Array.from(fb.energyDb).sort();
  const loudDb = sorted[Math.floor(0.95 * (n - 1))]!;
  const quietDb = sorted[Math.floor(0.1 * (n - 1))]!;
  const dynamicRangeDb = loudDb - quietDb;
  if (loudDb < minSpeechDb) {
    return { ...base, isVoiceDetected: false, verdict: "silent", loudDb, dynamicRangeDb, reason: `audio is silent (loudest frames ${loudDb.toFixed(0)} dBFS)` };
  }
  const gate = Math.max(minSpeechDb, loudDb - relativeDb);
  let speechFrames = 0;
  let loudFrames = 0;
  let tonal = 0;
  let flat = 0;
  for (let i = 0; i < n; i++) {
    if (fb.energyDb[i]! < gate) continue;
    loudFrames++;
    const isTonal = fb.peakShare[i]! > maxPeakShare;
    const isFlat = fb.flatness[i]! > maxFlatness;
    if (isTonal) tonal++;
    if (isFlat) flat++;
    if (!isTonal && !isFlat) {
      speechMask[i] = 1;
      speechFrames++;
    }
  }
  const result = { speechMask, speechFrames, speechSeconds: speechFrames / 100, loudDb, dynamicRangeDb };
  if (dynamicRangeDb < minRange) {
    const what = tonal > loudFrames / 2 ? "a steady tone" : flat > loudFrames / 2 ? "steady noise" : "a steady sound";
    return { ...result, isVoiceDetected: false, verdict: "no_speech", reason: `no speech detected: the audio is ${what}` };
  }
  if (speechFrames < minFrames) {
    const what = tonal > flat ? "tones" : "noise";
    return {
      ...result,
      isVoiceDetected: false,
      verdict: "no_speech",
      reason: `no speech detected: ${(speechFrames / 100).toFixed(2)} s speech-like, the rest is silence or ${what}`,
    };
  }
  // Two tones at once (keypad tones, DTMF; two beeps) pass the one-peak test frame by frame: a probe registered a
  // voice from keypad tones and other keypad tones then matched it. Speech spreads its power over many harmonics and
  // formants; a clip whose speech frames mostly hold two peaks and nothing else is tones.
  const twoPeak = medianOver(fb.twoPeakShare, speechMask);
  if (twoPeak > maxTwoPeakShare) {
    return { ...result, isVoiceDetected: false, verdict: "no_speech", reason: "no speech detected: the audio is tones" };
  }
  return { ...result, isVoiceDetected: true, verdict: "speech", reason: "speech detected" };
}

function medianOver(values: Float32Array, mask: Uint8Array): number {
  const picked: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) picked.push(values[i]!);
  picked.sort((a, b) => a - b);
  return picked.length ? picked[picked.length >> 1]! : 0;
}
