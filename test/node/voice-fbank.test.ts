// Kaldi fbank: shape, an independent per-frame reference (direct DFT, Kaldi's formulas written out), and
// the VAD on speech, silence, noise and tones.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeAudio } from "../../src/biometrics/voice/decode";
import { computeFbank } from "../../src/biometrics/voice/fbank";
import { extractVoiceFeatures } from "../../src/biometrics/voice/features";
import { detectVoice } from "../../src/biometrics/voice/vad";
import { gaussian, hasData, loadOpus, media, sine } from "./voice-helpers";

beforeAll(loadOpus);

/** One Kaldi fbank frame computed the slow, obvious way (O(N^2) DFT). */
function referenceFrame(x: Float32Array, start: number): number[] {
  const N = 400;
  const frame = Array.from(x.subarray(start, start + N), (v) => v * 32768);
  const mean = frame.reduce((a, b) => a + b, 0) / N;
  const dc = frame.map((v) => v - mean);
  const pre = dc.map((v, i) => v - 0.97 * (i === 0 ? dc[0]! : dc[i - 1]!));
  const win = pre.map((v, i) => v * Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (N - 1)), 0.85));
  const power: number[] = [];
  for (let k = 0; k < 256; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < N; n++) {
      re += win[n]! * Math.cos((2 * Math.PI * k * n) / 512);
      im -= win[n]! * Math.sin((2 * Math.PI * k * n) / 512);
    }
    power.push(re * re + im * im);
  }
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const lo = mel(20);
  const d = (mel(8000) - lo) / 81;
  const out: number[] = [];
  for (let b = 0; b < 80; b++) {
    let e = 0;
    for (let k = 0; k < 256; k++) {
      const m = mel((k * 16000) / 512);
      const w = Math.max(0, Math.min((m - (lo + b * d)) / d, (lo + (b + 2) * d - m) / d));
      e += w * power[k]!;
    }
    out.push(Math.log(Math.max(e, 1.1920928955078125e-7)));
  }
  return out;
}

describe("fbank", () => {
  it("has Kaldi's snip-edges frame count and 80 bins", () => {
    const fb = computeFbank(new Float32Array(16000));
    expect(fb.frames).toBe(1 + Math.floor((16000 - 400) / 160));
    expect(fb.bins).toBe(80);
    expect(fb.data.length).toBe(fb.frames * 80);
    expect(fb.data[0]).toBeCloseTo(Math.log(1.1920928955078125e-7), 5); // silence hits the floor
  });

  it("matches a direct-DFT reference frame (|diff| < 5e-5)", () => {
    const x = Float32Array.from(gaussian(4000, 0.05), (v, i) => v + 0.3 * Math.sin(i / 7));
    const fb = computeFbank(x);
    for (const f of [0, 7, 20]) {
      const ref = referenceFrame(x, f * 160);
      for (let b = 0; b < 80; b++) expect(fb.data[f * 80 + b]).toBeCloseTo(ref[b]!, 4);
    }
  });

  it("puts a 1 kHz tone in the mel bin around 1 kHz", () => {
    const fb = computeFbank(sine(16000, 1000, 16000));
    const row = Array.from(fb.data.subarray(40 * 80, 41 * 80));
    const peak = row.indexOf(Math.max(...row));
    const mel = (f: number) => 1127 * Math.log(1 + f / 700);
    const centre = (b: number) => mel(20) + ((b + 1) * (mel(8000) - mel(20))) / 81;
    expect(Math.abs(centre(peak) - mel(1000))).toBeLessThan((mel(8000) - mel(20)) / 81);
  });
});

describe("VAD", () => {
  const vad = (x: Float32Array) => detectVoice(computeFbank(x));

  it("rejects digital silence and near-silence as silent", () => {
    expect(vad(new Float32Array(48000))).toMatchObject({ isVoiceDetected: false, verdict: "silent" });
    expect(vad(gaussian(48000, 3e-5))).toMatchObject({ isVoiceDetected: false, verdict: "silent" });
  });

  it.each([0.01, 0.1, 0.5])("rejects white noise (sigma %f)", (sigma) => {
    expect(vad(gaussian(48000, sigma))).toMatchObject({ isVoiceDetected: false, verdict: "no_speech" });
  });

  it.each([100, 440, 1000, 3000])("rejects a pure %i Hz tone", (f) => {
    const r = vad(sine(48000, f, 16000));
    expect(r).toMatchObject({ isVoiceDetected: false, verdict: "no_speech" });
    expect(r.reason).toMatch(/tone/);
  });

  it("rejects beeping tones and noise bursts (modulated but not speech)", () => {
    const beeps = Float32Array.from(sine(64000, 1000, 16000), (v, i) => (Math.floor(i / 4000) % 2 ? v : 0));
    const bursts = Float32Array.from(gaussian(64000, 0.3), (v, i) => (Math.floor(i / 4000) % 2 ? v : v / 300));
    expect(vad(beeps).isVoiceDetected).toBe(false);
    expect(vad(bursts).isVoiceDetected).toBe(false);
  });

  it.skipIf(!hasData)("accepts speech in WAV, WebM and Ogg; rejects Firefox's recorded sine", async () => {
    for (const name of ["speech5s_16k.wav", "speech5s.webm", "speech5s.ogg", "chrome_gum.webm"]) {
      const a = await decodeAudio(media(name));
      const f = extractVoiceFeatures(a.samples);
      expect(f.vad.isVoiceDetected, name).toBe(true);
      expect(f.vad.speechSeconds).toBeGreaterThan(1.5);
      expect(f.stats.every(Number.isFinite)).toBe(true);
    }
    for (const name of ["firefox_mediarecorder_sine.ogg", "stereo_sine.webm"]) {
      const a = await decodeAudio(media(name));
      expect(extractVoiceFeatures(a.samples).vad.isVoiceDetected, name).toBe(false);
    }
  });

  it.skipIf(!hasData)("keeps speech with white noise at 10 dB SNR", async () => {
    const a = await decodeAudio(media("speech5s_16k.wav"));
    let p = 0;
    for (const v of a.samples) p += v * v;
    const noise = gaussian(a.samples.length, Math.sqrt(p / a.samples.length) / Math.sqrt(10));
    expect(vad(a.samples.map((v, i) => v + noise[i]!)).isVoiceDetected).toBe(true);
  });
});
