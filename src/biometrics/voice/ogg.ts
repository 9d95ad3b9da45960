// Ogg page reader for Opus (RFC 3533 framing, RFC 7845 Opus mapping): collects the packets of the first
// logical stream whose first packet is an OpusHead. CRCs are not checked: a damaged page simply yields
// a packet the decoder rejects, and the clip is judged on what decodes.
import { VoiceError } from "./errors";
import { parseOpusHead, type OpusStream } from "./opus-head";

export function isOgg(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x4f && bytes[1] === 0x67 && bytes[2] === 0x67 && bytes[3] === 0x53;
}

export function demuxOggOpus(bytes: Uint8Array): OpusStream {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let serial: number | undefined;
  let head: ReturnType<typeof parseOpusHead> | undefined;
  let packetIndex = 0; // within the chosen stream; 0 = OpusHead, 1 = OpusTags
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let lastGranule = -1;
  let pos = 0;
  let cut = false; // the file ends inside a page: a truncated upload
  let sawStart = false; // a page that begins a stream (BOS): a later MediaRecorder chunk has none
  let vorbis = false;
  while (pos + 27 <= bytes.length && !cut) {
    if (!isOgg(bytes.subarray(pos))) {
      // Resynchronise on the next capture pattern rather than giving up on one bad byte run.
      const next = indexOfOggS(bytes, pos + 1);
      if (next < 0) break;
      pos = next;
      continue;
    }
    const headerType = bytes[pos + 5]!;
    const granuleLo = view.getUint32(pos + 6, true);
    const granuleHi = view.getInt32(pos + 10, true);
    const pageSerial = view.getUint32(pos + 14, true);
    const nSegs = bytes[pos + 26]!;
    const lacingStart = pos + 27;
    let dataPos = lacingStart + nSegs;
    if (dataPos > bytes.length) {
      cut = true;
      break;
    }
    if (headerType & 0x02) sawStart = true;
    if (headerType & 0x02 && serial === undefined) pending = [];
    const mine = serial === undefined || pageSerial === serial;
    let segStart = dataPos;
    let segLen = 0;
    for (let s = 0; s < nSegs; s++) {
      const lace = bytes[lacingStart + s]!;
      segLen += lace;
      if (lace < 255) {
        if (segStart + segLen > bytes.length) {
          cut = true;
          break;
        }
        const end = segStart + segLen;
        if (mine) {
          pending.push(bytes.subarray(segStart, end));
          const packet = concat(pending);
          pending = [];
          if (serial === undefined) {
            if (startsWith(packet, "OpusHead")) {
              serial = pageSerial;
              head = parseOpusHead(packet);
              packetIndex = 1;
            } else if (startsWith(packet, "\x01vorbis")) vorbis = true;
          } else if (packetIndex++ >= 2) packets.push(packet);
        }
        segStart += segLen;
        segLen = 0;
      }
    }
    if (segLen > 0 && mine) pending.push(bytes.subarray(segStart, Math.min(segStart + segLen, bytes.length)));
    dataPos = segStart + segLen;
    if (mine && serial !== undefined && !(granuleLo === 0xffffffff && granuleHi === -1)) {
      lastGranule = granuleHi * 2 ** 32 + granuleLo;
    }
    pos = dataPos;
  }
  if (!head) {
    if (cut) throw new VoiceError("truncated", "Ogg file is truncated");
    // What a client can do about it (a probe's later Firefox chunk was "without an Opus stream").
    if (!sawStart) {
      throw new VoiceError(
        "undecodable",
        "audio is a piece of an Ogg recording without its header (a MediaRecorder chunk after the first, recorded with a timeslice): send each clip as a whole recording (stop and start the recorder for each clip, or join the chunks)",
      );
    }
    throw new VoiceError("undecodable", vorbis ? "Ogg/Vorbis audio is not accepted: record Opus (MediaRecorder with mimeType 'audio/ogg;codecs=opus') or send 16-bit PCM WAV" : "Ogg file without an Opus stream");
  }
  if (packets.length === 0) throw new VoiceError("truncated", "Ogg/Opus stream has no audio packets");
  // The last granule position counts 48 kHz samples including the pre-skip: it trims encoder padding.
  const totalSamples = lastGranule > 0 ? lastGranule - head.preSkip : undefined;
  return { ...head, packets, totalSamples };
}

function indexOfOggS(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= bytes.length; i++) {
    if (bytes[i] === 0x4f && bytes[i + 1] === 0x67 && bytes[i + 2] === 0x67 && bytes[i + 3] === 0x53) return i;
  }
  return -1;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function startsWith(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}
