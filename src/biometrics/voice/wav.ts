// RIFF/WAVE reader: PCM 16/24/32-bit integer and IEEE float 32/64, plain or WAVE_FORMAT_EXTENSIBLE,
// any channel count (averaged to mono). Browser- and tool-written files sometimes carry a data size of
// 0 or 0xFFFFFFFF (streamed writers) or longer than the file, so the data chunk is clamped to what is there.
import { VoiceError } from "./errors";
import { chooseMono } from "./downmix";

export interface PcmAudio {
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** WAV format tags of codecs met in practice that are not read (named in the refusal). */
const WAV_CODECS: Record<number, string> = { 2: "MS ADPCM", 6: "A-law", 7: "µ-law", 0x11: "IMA ADPCM", 0x31: "GSM 6.10", 0x55: "MP3" };

export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WAVE";
}

/** `maxSeconds` bounds the work and memory for huge uploads: later samples are not decoded. */
export function parseWav(bytes: Uint8Array, maxSeconds = Infinity): PcmAudio {
  if (!isWav(bytes)) throw new VoiceError("undecodable", "not a RIFF/WAVE file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number; blockAlign: number } | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = ascii(bytes, pos, 4);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) throw new VoiceError("truncated", "WAV fmt chunk is truncated");
      let format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (format === FORMAT_EXTENSIBLE) {
        // The sub-format GUID starts with the classic format tag.
        if (size < 40 || body + 26 > bytes.length) throw new VoiceError("truncated", "WAV extensible fmt chunk is truncated");
        format = view.getUint16(body + 24, true);
      }
      fmt = { format, channels, rate, bits, blockAlign };
    } else if (id === "data") {
      if (!fmt) throw new VoiceError("undecodable", "WAV data chunk before fmt chunk");
      const available = bytes.length - body;
      const len = size === 0 || size === 0xffffffff || size > available ? available : size;
      return { samples: decodeSamples(view, body, len, fmt, maxSeconds), sampleRate: fmt.rate };
    }
    pos = body + size + (size & 1); // chunks are word-aligned
  }
  throw new VoiceError(fmt ? "truncated" : "undecodable", fmt ? "WAV file has no data chunk" : "WAV file has no fmt chunk");
}

function decodeSamples(
  view: DataView,
  offset: number,
  length: number,
  fmt: { format: number; channels: number; rate: number; bits: number; blockAlign: number },
  maxSeconds: number,
): Float32Array {
  const { format, channels, rate, bits } = fmt;
  if (channels < 1 || channels > 32) throw new VoiceError("undecodable", `WAV with ${channels} channels`);
  if (rate < 4000 || rate > 384000) throw new VoiceError("undecodable", `WAV sample rate ${rate} Hz is not supported`);
  const bytesPer = bits / 8;
  // 8-bit PCM is read but refused: its quantisation noise (48 dB under full scale, about 30 dB under speech at the
  // usual level) fills the pauses the speaker statistics rest on. The eval speakers' clips as 8-bit WAVs: 20 % of
  // genuine clips refused at `high` and 1 of 140 impostor clips accepted, against 0 and 0 in 16-bit
  // (bench/voice-recording-level.ts).
  if (format === FORMAT_PCM && bits === 8) {
    throw new VoiceError("undecodable", "8-bit WAV is too coarse for a speaker decision (its quantisation noise drowns the voice's detail); record 16-bit or more");
  }
  const okPcm = format === FORMAT_PCM && (bits === 16 || bits === 24 || bits === 32);
  const okFloat = format === FORMAT_FLOAT && (bits === 32 || bits === 64);
  if (!okPcm && !okFloat) {
    const codec = WAV_CODECS[format];
    throw new VoiceError(
      "undecodable",
      codec
        ? `WAV holding ${codec} audio is not accepted: send 16-bit PCM WAV or Opus (telephone codecs also lose the detail a speaker decision rests on)`
        : `WAV format ${format} with ${bits} bits is not supported: send 16-bit PCM WAV or Opus`,
    );
  }
  const frameBytes = Math.max(fmt.blockAlign, bytesPer * channels);
  const frames = Math.min(Math.floor(length / frameBytes), Math.floor(maxSeconds * rate));
  const out = new Float32Array(frames);
  const first = channels > 1 ? new Float32Array(frames) : undefined;
  const read = sampleReader(view, format, bits);
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    const base = offset + i * frameBytes;
    for (let c = 0; c < channels; c++) {
      const v = read(base + c * bytesPer);
      if (c === 0 && first) first[i] = v;
      acc += v;
    }
    out[i] = acc / channels;
  }
  return chooseMono(out, first, channels);
}

function sampleReader(view: DataView, format: number, bits: number): (at: number) => number {
  if (format === FORMAT_FLOAT) {
    return bits === 32 ? (at) => clampUnit(view.getFloat32(at, true)) : (at) => clampUnit(view.getFloat64(at, true));
  }
  switch (bits) {
    case 16:
      return (at) => view.getInt16(at, true) / 32768;
    case 24:
      return (at) => {
        const v = view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16);
        return v / 8388608;
      };
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

function clampUnit(x: number): number {
  // No recorder writes NaN or infinity: a file holding them is damaged, and reading them as silence (as before)
  // let a clip with every other sample infinite be enrolled and verified. Out-of-range floats are clipped, as a
  // sound card would.
  if (!Number.isFinite(x)) throw new VoiceError("undecodable", "the WAV holds samples that are not numbers (NaN or infinity): the file is damaged");
  return Math.max(-1, Math.min(1, x));
}

/** The bytes at..at+n as Latin-1 text (chunk ids, magic numbers); shorter at the end of the data. */
export function ascii(bytes: Uint8Array, at: number, n: number): string {
  let s = "";
  for (let i = 0; i < n && at + i < bytes.length; i++) s += String.fromCharCode(bytes[at + i]!);
  return s;
}

/** Test/benchmark helper: 16-bit mono/stereo WAV bytes from samples in [-1, 1]. */
export function encodeWav16(channels: Float32Array[], sampleRate: number): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const ch = channels.length;
  const buf = new ArrayBuffer(44 + n * ch * 2);
  const v = new DataView(buf);
  const w = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  w(0, "RIFF");
  v.setUint32(4, 36 + n * ch * 2, true);
  w(8, "WAVE");
  w(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, FORMAT_PCM, true);
  v.setUint16(22, ch, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * ch * 2, true);
  v.setUint16(32, ch * 2, true);
  v.setUint16(34, 16, true);
  w(36, "data");
  v.setUint32(40, n * ch * 2, true);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++) {
      const x = Math.max(-1, Math.min(1, channels[c]![i]!));
      v.setInt16(44 + (i * ch + c) * 2, Math.round(x * 32767), true);
    }
  }
  return new Uint8Array(buf);
}
