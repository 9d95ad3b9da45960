// Audio front end: WAV variants, resampling, Opus in WebM and Ogg, and the errors bad clips get.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeAudio } from "../../src/biometrics/voice/decode";
import { VoiceError, toAppError } from "../../src/biometrics/voice/errors";
import { resample } from "../../src/biometrics/voice/resample";
import { analyseClip } from "../../src/biometrics/voice/voice";
import { encodeWav16, parseWav } from "../../src/biometrics/voice/wav";
import { bestCorrelation, evalClip, gaussian, hasData, loadOpus, media, sine } from "./voice-helpers";
import { captureHint } from "../../src/services/biometrics/voice";
import { highBandDb } from "../../src/biometrics/voice/features";

beforeAll(loadOpus);

function wavHeader(format: number, channels: number, rate: number, bits: number, dataBytes: number): DataView {
  const v = new DataView(new ArrayBuffer(44 + dataBytes));
  const w = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  w(0, "RIFF");
  v.setUint32(4, 36 + dataBytes, true);
  w(8, "WAVE");
  w(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  w(36, "data");
  v.setUint32(40, dataBytes, true);
  return v;
}

async function expectVoiceError(p: Promise<unknown>, code: string): Promise<VoiceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VoiceError);
  expect((e as VoiceError).code).toBe(code);
  return e as VoiceError;
}

describe("WAV", () => {
  it("names the WAV codecs and the RF64 WAV it does not read (a probe got 'format 7 with 8 bits' and 'not WAV')", async () => {
    const wav = encodeWav16([sine(16000, 440, 16000)], 16000);
    const coded = (tag: number, bits: number) => {
      const b = wav.slice();
      new DataView(b.buffer).setUint16(20, tag, true);
      new DataView(b.buffer).setUint16(34, bits, true);
      return b;
    };
    await expect(decodeAudio(coded(7, 8))).rejects.toThrow(/µ-law audio is not accepted: send 16-bit PCM WAV or Opus/);
    await expect(decodeAudio(coded(0x11, 4))).rejects.toThrow(/IMA ADPCM/);
    await expect(decodeAudio(coded(99, 16))).rejects.toThrow(/WAV format 99 with 16 bits is not supported: send 16-bit PCM WAV or Opus/);
    const rf64 = wav.slice();
    rf64.set([82, 70, 54, 52], 0); // "RF64"
    await expect(decodeAudio(rf64)).rejects.toThrow(/RF64 WAV .* is not accepted/);
  });

  it("reads PCM16 stereo: one signal in both channels is that signal", () => {
    const left = Float32Array.from([0.5, -0.5, 0.25]);
    const pcm = parseWav(encodeWav16([left, left], 22050));
    expect(pcm.sampleRate).toBe(22050);
    expect(Array.from(pcm.samples)).toEqual([expect.closeTo(0.5, 3), expect.closeTo(-0.5, 3), expect.closeTo(0.25, 3)]);
  });

  it("takes the louder of two channels, never their mean (opposite phase cancels; a delayed copy comb-filters)", () => {
    const left = sine(1600, 440, 16000);
    const antiphase = parseWav(encodeWav16([left, left.map((v) => -v)], 16000)).samples;
    expect(Math.max(...antiphase.map(Math.abs))).toBeGreaterThan(0.4); // not silence
    expect(antiphase[100]).toBeCloseTo(left[100]!, 3);
    const quieterLeft = parseWav(encodeWav16([left.map((v) => 0.8 * v), left.map((v) => -v)], 16000)).samples;
    expect(quieterLeft[100]).toBeCloseTo(-left[100]!, 3); // the louder channel
    const dead = parseWav(encodeWav16([left, new Float32Array(1600)], 16000)).samples;
    expect(dead[100]).toBeCloseTo(left[100]!, 3);
    // A microphone pair: the right channel 0.8x as loud and 0.5 ms (8 samples) later. At 1 kHz the two are in opposite
    // phase, so their mean would all but cancel that frequency; the left channel is kept whole.
    const tone = sine(1600, 1000, 16000);
    const delayed = tone.map((_, i) => (i >= 8 ? 0.8 * tone[i - 8]! : 0));
    const pair = parseWav(encodeWav16([tone, delayed], 16000)).samples;
    expect(pair[100]).toBeCloseTo(tone[100]!, 3);
  });

  it("reads PCM24 and float32", () => {
    const v24 = wavHeader(1, 1, 16000, 24, 6);
    // -0.5 and +0.25 as signed 24-bit little-endian
    [0x00, 0x00, 0xc0, 0x00, 0x00, 0x20].forEach((b, i) => v24.setUint8(44 + i, b));
    expect(Array.from(parseWav(new Uint8Array(v24.buffer)).samples)).toEqual([-0.5, 0.25]);
    const vf = wavHeader(3, 1, 8000, 32, 8);
    vf.setFloat32(44, 0.75, true);
    vf.setFloat32(48, 1.5, true);
    expect(Array.from(parseWav(new Uint8Array(vf.buffer)).samples)).toEqual([0.75, 1]); // clipped as a sound card would
  });

  it("refuses 8-bit PCM as too coarse for a speaker decision, naming it", () => {
    const v8 = wavHeader(1, 1, 16000, 8, 4);
    [128, 200, 60, 128].forEach((b, i) => v8.setUint8(44 + i, b));
    expect(() => parseWav(new Uint8Array(v8.buffer))).toThrow(/8-bit WAV is too coarse.*16-bit/);
  });

  it("refuses a float WAV holding NaN or infinity as damaged (it used to read them as silence)", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const vf = wavHeader(3, 1, 8000, 32, 8);
      vf.setFloat32(44, 0.75, true);
      vf.setFloat32(48, bad, true);
      expect(() => parseWav(new Uint8Array(vf.buffer))).toThrow(/not numbers/);
    }
  });

  it("clamps a streamed data size (0xFFFFFFFF) to the bytes present", () => {
    const bytes = encodeWav16([sine(1600, 440, 16000)], 16000);
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    expect(parseWav(bytes).samples.length).toBe(1600);
  });
});

describe("resampling", () => {
  it.each([48000, 44100, 22050, 8000])("%i Hz -> 16 kHz keeps a 1 kHz tone's frequency and level", (rate) => {
    const out = resample(sine(rate, 1000, rate), rate, 16000);
    expect(out.length).toBe(16000);
    const ideal = sine(16000, 1000, 16000);
    const { r, lag } = bestCorrelation(out.subarray(2000, 14000), ideal.subarray(2000, 14000), 8);
    expect(r).toBeGreaterThan(0.999);
    expect(Math.abs(lag)).toBeLessThanOrEqual(1);
    let peak = 0;
    for (let i = 2000; i < 14000; i++) peak = Math.max(peak, Math.abs(out[i]!));
    expect(peak).toBeCloseTo(0.5, 2);
  });

  it("removes content above the new Nyquist (7.5 kHz tone at 48 kHz does not alias)", () => {
    const out = resample(sine(48000, 9000, 48000), 48000, 16000);
    let rms = 0;
    for (let i = 1000; i < 15000; i++) rms += out[i]! ** 2;
    expect(Math.sqrt(rms / 14000)).toBeLessThan(0.001);
  });
});

describe.skipIf(!hasData)("shared media", () => {
  it("48 kHz WAV resampled matches the 16 kHz WAV of the same speech", async () => {
    const a = await decodeAudio(media("speech5s_16k.wav"));
    const b = await decodeAudio(media("speech5s_48k.wav"));
    expect(b.sourceRate).toBe(48000);
    expect(b.samples.length).toBe(a.samples.length);
    expect(bestCorrelation(a.samples, b.samples, 4).r).toBeGreaterThan(0.99);
  });

  it.each(["speech5s.webm", "speech5s.ogg", "chrome_mediarecorder.webm", "speech5s_opusenc.opus"])(
    "decodes Opus in %s to about 5 s that follows the WAV",
    async (name) => {
      const wav = await decodeAudio(media("speech5s_16k.wav"));
      const opus = await decodeAudio(media(name));
      expect(opus.durationSec).toBeGreaterThan(4.9);
      expect(opus.durationSec).toBeLessThan(5.1);
      expect(bestCorrelation(wav.samples, opus.samples, 400).r).toBeGreaterThan(0.9);
    },
  );

  it("decodes Firefox's Ogg and stereo WebM", async () => {
    expect((await decodeAudio(media("firefox_mediarecorder_sine.ogg"))).container).toBe("ogg");
    const stereo = await decodeAudio(media("stereo_sine.webm"));
    expect(stereo.durationSec).toBeGreaterThan(4.9);
  });

  it("reports truncated WebM/Ogg", async () => {
    await expectVoiceError(decodeAudio(media("speech5s.webm").subarray(0, 60)), "truncated");
    await expectVoiceError(decodeAudio(media("speech5s.ogg").subarray(0, 40)), "truncated");
    // Cut in the middle of the audio: what is there still decodes.
    const half = await decodeAudio(media("speech5s.webm").subarray(0, 11000));
    expect(half.durationSec).toBeGreaterThan(1);
  });
});

describe("bad clips", () => {
  it("garbage, empty and truncated WAV are typed errors with a 400 body", async () => {
    const e = await expectVoiceError(decodeAudio(new TextEncoder().encode("this is not audio at all")), "undecodable");
    expect(toAppError(e).status).toBe(400);
    expect(toAppError(e).body).toMatchObject({ kind: "validation", badFormatted: ["voice_base64"] });
    await expectVoiceError(decodeAudio(new Uint8Array(0)), "truncated");
    await expectVoiceError(decodeAudio(encodeWav16([sine(16000, 440, 16000)], 16000).subarray(0, 30)), "truncated");
  });

  it("stops decoding a huge upload after 60 s and analyses at most 30 s", async () => {
    const long = encodeWav16([sine(16000 * 70, 440, 16000, 0.1)], 16000);
    expect((await decodeAudio(long)).durationSec).toBe(60);
    expect((await analyseClip(long)).audio.durationSec).toBe(30);
  });

  it("a 0.5 s clip is too short", async () => {
    await expectVoiceError(analyseClip(encodeWav16([sine(8000, 440, 16000)], 16000)), "too_short");
  });

  it("MP4/AAC, MP3, FLAC and other known formats are refused naming the format and what to send instead", async () => {
    const head = (...parts: (string | number[])[]) => {
      const bytes = parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p));
      return Uint8Array.from([...bytes, ...new Array(64).fill(0)]);
    };
    const cases: [Uint8Array, RegExp][] = [
      [head([0, 0, 0, 0x1c], "ftypM4A "), /^MP4\/M4A audio \(AAC/],
      // Opus in MP4 is named as such (a probe's was called AAC).
      [head([0, 0, 0, 0x1c], "ftypisom", [0, 0, 0, 0, 0, 0, 0, 0x40], "stsd", [0, 0, 0, 0x30], "Opus"), /^Opus audio in an MP4 container/],
      [head("ID3", [4, 0, 0]), /^MP3 audio/],
      [head([0xff, 0xfb, 0x90, 0x64]), /^MP3 audio/],
      [head([0xff, 0xf1, 0x50, 0x80]), /^AAC audio \(ADTS\)/],
      [head("fLaC"), /^FLAC audio/],
      [head("FORM", [0, 0, 0, 0], "AIFF"), /^AIFF audio/],
      [head("#!AMR\n"), /^AMR audio/],
    ];
    for (const [bytes, name] of cases) {
      const e = await expectVoiceError(decodeAudio(bytes), "undecodable");
      expect(e.message).toMatch(name);
      expect(e.message).toMatch(/is not accepted: record Opus .* or send 16-bit PCM WAV$/);
    }
  });

  it("an Ogg page with a non-Opus stream is undecodable", async () => {
    const bytes = new Uint8Array(200);
    bytes.set([0x4f, 0x67, 0x67, 0x53]);
    await expectVoiceError(decodeAudio(bytes), "undecodable");
  });

  it("a WebM with a video track only says there is no audio (a probe's named V_VP8 an unsupported audio codec)", async () => {
    const el = (id: number[], payload: number[]) => [...id, 0x80 | payload.length, ...payload];
    const codec = el([0x86], [..."V_VP8"].map((c) => c.charCodeAt(0)));
    const tracks = el([0x16, 0x54, 0xae, 0x6b], el([0xae], [...el([0xd7], [1]), ...codec]));
    const bytes = Uint8Array.from([...el([0x1a, 0x45, 0xdf, 0xa3], el([0x42, 0x82], [..."webm"].map((c) => c.charCodeAt(0)))), ...el([0x18, 0x53, 0x80, 0x67], tracks)]);
    const e = await expectVoiceError(decodeAudio(bytes), "undecodable");
    expect(e.message).toMatch(/^WebM file with video only \(V_VP8\), no audio track/);
  });
});

describe.skipIf(!hasData)("keypad tones", () => {
  it("are tones, not speech (a probe registered a voice from DTMF and other keypad tones matched it)", async () => {
    const rate = 16000;
    const pairs = [[697, 1209], [770, 1336], [852, 1477], [941, 1633], [697, 1477]];
    const dtmf = new Float32Array(rate * 5).map((_, i) => {
      const seg = Math.floor(i / (0.25 * rate));
      if (seg % 2) return 0;
      const [a, b] = pairs[(seg >> 1) % pairs.length]!;
      return 0.2 * (Math.sin((2 * Math.PI * a! * i) / rate) + Math.sin((2 * Math.PI * b! * i) / rate));
    });
    const { features } = await analyseClip(encodeWav16([dtmf], rate));
    expect(features.vad).toMatchObject({ isVoiceDetected: false, verdict: "no_speech", reason: "no speech detected: the audio is tones" });
    expect((await analyseClip(evalClip("1688", 3))).features.vad.isVoiceDetected).toBe(true);
  });
});

describe.skipIf(!hasData)("two channels, one of them not a voice", () => {
  it("reads the channel that swings like speech, not a louder steady hum, tone or hiss (a probe's voice was lost)", () => {
    const speech = parseWav(evalClip("1688", 3)).samples;
    const rms = Math.sqrt(speech.reduce((a, v) => a + v * v, 0) / speech.length);
    let s = 3;
    const others: [string, Float32Array][] = [
      ["50 Hz hum", speech.map((_, i) => 2 * rms * Math.SQRT2 * Math.sin((2 * Math.PI * 50 * i) / 16000))],
      ["1 kHz tone", speech.map((_, i) => 2 * rms * Math.SQRT2 * Math.sin((2 * Math.PI * 1000 * i) / 16000))],
      ["hiss", speech.map(() => 2 * rms * Math.sqrt(3) * 2 * ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5))],
    ];
    for (const [what, other] of others) {
      for (const pair of [[speech, other], [other, speech]]) {
        const mono = parseWav(encodeWav16(pair, 16000)).samples;
        let ab = 0;
        let aa = 0;
        let bb = 0;
        for (let i = 0; i < speech.length; i++) {
          ab += mono[i]! * speech[i]!;
          aa += mono[i]! * mono[i]!;
          bb += speech[i]! * speech[i]!;
        }
        expect(ab / Math.sqrt(aa * bb), what).toBeGreaterThan(0.99);
      }
    }
  });
});

describe.skipIf(!hasData)("a recording sent in MediaRecorder chunks", () => {
  beforeAll(loadOpus);
  it("a WebM chunk after the first (no header) is refused, saying how to send it", async () => {
    const whole = media("chrome_gum.webm");
    const at = whole.findIndex((b, i) => b === 0x1f && whole[i + 1] === 0x43 && whole[i + 2] === 0xb6 && whole[i + 3] === 0x75);
    expect(at).toBeGreaterThan(0);
    await expect(decodeAudio(whole.subarray(at))).rejects.toThrow(/WebM recording without its header.*whole recording/);
    expect((await decodeAudio(whole)).durationSec).toBeGreaterThan(1);
  });

  it("an Ogg chunk after the first (no stream start) is refused the same way (a probe's said 'without an Opus stream')", async () => {
    const whole = media("firefox_mediarecorder_sine.ogg");
    const pages = whole.reduce<number[]>((at, b, i) => (b === 0x4f && whole[i + 1] === 0x67 && whole[i + 2] === 0x67 && whole[i + 3] === 0x53 ? [...at, i] : at), []);
    expect(pages.length).toBeGreaterThan(3);
    await expect(decodeAudio(whole.subarray(pages[2]!))).rejects.toThrow(/Ogg recording without its header.*whole recording/);
  });
});

describe.skipIf(!hasData)("capture hints for a refused clip (wording only, never the decision)", () => {
  const hintOf = async (samples: Float32Array, rate: number) => {
    const { audio, features } = await analyseClip(encodeWav16([samples], rate));
    return captureHint({ sourceRate: audio.sourceRate, dynamicRangeDb: features.vad.dynamicRangeDb, highBandDb: highBandDb(features.fbank, features.vad.speechMask) });
  };
  it("names telephone-rate audio and noise, and nothing for a clean clip", async () => {
    const clean = parseWav(evalClip("1688", 3)).samples;
    expect(await hintOf(clean, 16000)).toBeUndefined();
    const eightK = resample(clean, 16000, 8000);
    expect(await hintOf(eightK, 8000)).toMatch(/sampled at 8 kHz/);
    // The same telephone-band audio in a 16 kHz file (a Bluetooth headset in hands-free mode; a probe got no hint).
    expect(await hintOf(resample(eightK, 8000, 16000), 16000)).toMatch(/almost no sound above 4 kHz/);
    let power = 0;
    for (const x of clean) power += x * x;
    const noise = gaussian(clean.length, Math.sqrt(power / clean.length / 10)); // 10 dB SNR
    expect(await hintOf(Float32Array.from(clean, (x, i) => x + noise[i]!), 16000)).toMatch(/seems noisy/);
  });
});
