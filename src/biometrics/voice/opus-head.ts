// The OpusHead identification header (RFC 7845 section 5.1), shared by the Ogg and WebM paths
// (WebM carries it as the track's CodecPrivate).
import { VoiceError } from "./errors";

export interface OpusHead {
  channels: number;
  /** 48 kHz samples to drop from the start of the decoded stream (encoder look-ahead). */
  preSkip: number;
  inputSampleRate: number;
  /** Q7.8 dB gain the decoder output must be scaled by. */
  outputGainDb: number;
  mappingFamily: number;
}

export interface OpusStream extends OpusHead {
  packets: Uint8Array[];
  /** 48 kHz samples after pre-skip, when the container says (Ogg's last granule position). */
  totalSamples: number | undefined;
}

export function parseOpusHead(p: Uint8Array): OpusHead {
  if (p.length < 19 || String.fromCharCode(...p.subarray(0, 8)) !== "OpusHead") {
    throw new VoiceError("undecodable", "missing or malformed OpusHead header");
  }
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const channels = p[9]!;
  if (channels < 1) throw new VoiceError("undecodable", "OpusHead with zero channels");
  return {
    channels,
    preSkip: v.getUint16(10, true),
    inputSampleRate: v.getUint32(12, true),
    outputGainDb: v.getInt16(16, true) / 256,
    mappingFamily: p[18]!,
  };
}
