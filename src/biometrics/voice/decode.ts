// Any accepted clip -> mono 16 kHz float samples. The container is sniffed from magic bytes, never from a
// declared MIME type (clients get those wrong).
import { VoiceError } from "./errors";
import { demuxOggOpus, isOgg } from "./ogg";
import { decodeOpus } from "./opus";
import { resample } from "./resample";
import { ascii, isWav, parseWav } from "./wav";
import { demuxWebmOpus, isWebm } from "./webm";

export const TARGET_RATE = 16000;

export type AudioContainer = "wav" | "ogg" | "webm";

export interface DecodedAudio {
  /** Mono, 16 kHz, [-1, 1]. */
  samples: Float32Array;
  sampleRate: typeof TARGET_RATE;
  sourceRate: number;
  container: AudioContainer;
  durationSec: number;
}

export function sniffContainer(bytes: Uint8Array): AudioContainer | undefined {
  if (isWav(bytes)) return "wav";
  if (isOgg(bytes)) return "ogg";
  if (isWebm(bytes)) return "webm";
  return undefined;
}

/** A WebM Cluster element (ID 1F 43 B6 75) with no EBML header before it: a browser's MediaRecorder chunk after the
 * first (recording with a timeslice), whose header went with the first chunk. */
const isWebmCluster = (b: Uint8Array) => b.length >= 4 && b[0] === 0x1f && b[1] === 0x43 && b[2] === 0xb6 && b[3] === 0x75;
const WEBM_FRAGMENT =
  "audio is a piece of a WebM recording without its header (a MediaRecorder chunk after the first, recorded with a timeslice): send each clip as a whole recording (stop and start the recorder for each clip, or join the chunks)";

/** What to do instead, for audio formats clients commonly send that this service does not decode. */
const OTHER_FORMATS = "record Opus (MediaRecorder with mimeType 'audio/webm;codecs=opus' or 'audio/ogg;codecs=opus') or send 16-bit PCM WAV";

/** Whether the four characters occur in the first 64 KiB (an MP4's sample entries sit in its header). */
function hasFourCc(b: Uint8Array, code: string): boolean {
  const c = [...code].map((ch) => ch.charCodeAt(0));
  const end = Math.min(b.length, 65536) - 4;
  for (let i = 0; i <= end; i++) if (b[i] === c[0] && b[i + 1] === c[1] && b[i + 2] === c[2] && b[i + 3] === c[3]) return true;
  return false;
}

/** Names a recognisable audio format this service does not decode (so the error can say what was sent), or undefined. */
export function unsupportedFormat(b: Uint8Array): string | undefined {
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp") {
    // Opus can be carried in MP4 too (an "Opus" sample entry): say so, rather than call it AAC (a probe's was).
    return hasFourCc(b, "Opus") ? "Opus audio in an MP4 container (only its Ogg and WebM forms are read here)" : "MP4/M4A audio (AAC: Safari's and phone apps' default)";
  }
  if (b.length >= 3 && ascii(b, 0, 3) === "ID3") return "MP3 audio";
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xf6) === 0xf0) return "AAC audio (ADTS)";
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) return "MP3 audio";
  if (b.length >= 4 && ascii(b, 0, 4) === "fLaC") return "FLAC audio";
  if (b.length >= 12 && ascii(b, 0, 4) === "FORM" && (ascii(b, 8, 4) === "AIFF" || ascii(b, 8, 4) === "AIFC")) return "AIFF audio";
  if (b.length >= 4 && ascii(b, 0, 4) === "caff") return "Core Audio (CAF) audio";
  if (b.length >= 12 && (ascii(b, 0, 4) === "RF64" || ascii(b, 0, 4) === "BW64") && ascii(b, 8, 4) === "WAVE") return "RF64 WAV (the 64-bit WAV of long recordings)";
  if (b.length >= 6 && ascii(b, 0, 6) === "#!AMR\n") return "AMR audio";
  return undefined;
}

function notDecoded(bytes: Uint8Array): string {
  const format = unsupportedFormat(bytes);
  return format ? `${format} is not accepted: ${OTHER_FORMATS}` : "audio is not WAV, Ogg/Opus or WebM/Opus";
}

/** Decoding stops after this much audio (later analysis uses at most MAX_CLIP_SECONDS anyway). */
export const MAX_DECODE_SECONDS = 60;

export async function decodeAudio(bytes: Uint8Array, maxSeconds = MAX_DECODE_SECONDS): Promise<DecodedAudio> {
  const container = sniffContainer(bytes);
  let samples: Float32Array;
  let sourceRate: number; // the clip's own rate (Opus: always 48 kHz)
  let rate: number; // the rate `samples` is at
  switch (container) {
    case "wav": {
      const pcm = parseWav(bytes, maxSeconds);
      samples = pcm.samples;
      sourceRate = rate = pcm.sampleRate;
      break;
    }
    case "ogg":
      samples = await decodeOpus(demuxOggOpus(bytes), TARGET_RATE, maxSeconds); // libopus reconstructs at the rate asked
      sourceRate = 48000;
      rate = TARGET_RATE;
      break;
    case "webm":
      samples = await decodeOpus(demuxWebmOpus(bytes), TARGET_RATE, maxSeconds);
      sourceRate = 48000;
      rate = TARGET_RATE;
      break;
    default:
      throw new VoiceError(
        bytes.length === 0 ? "truncated" : "undecodable",
        bytes.length === 0 ? "empty audio" : isWebmCluster(bytes) ? WEBM_FRAGMENT : notDecoded(bytes),
      );
  }
  const out = rate === TARGET_RATE ? samples : resample(samples, rate, TARGET_RATE);
  return { samples: out, sampleRate: TARGET_RATE, sourceRate, container, durationSec: out.length / TARGET_RATE };
}
