// Minimal Matroska/WebM reader for the Opus audio track that browsers' MediaRecorder writes.
// MediaRecorder streams: Segment and Cluster sizes are "unknown" (all ones) and there is no Cues index,
// so instead of trusting sizes of container elements this walks the element stream linearly, descending
// into the few master elements that matter and skipping everything else by its (known) size.
import { VoiceError } from "./errors";
import { parseOpusHead, type OpusStream } from "./opus-head";

const ID = {
  EBML: 0x1a45dfa3,
  Segment: 0x18538067,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  Audio: 0xe1,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
} as const;

// Masters we enter instead of skipping (their children are read in the same linear pass).
const DESCEND = new Set<number>([ID.Segment, ID.Tracks, ID.TrackEntry, ID.Audio, ID.Cluster, ID.BlockGroup]);

export function isWebm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3;
}

interface Track {
  number: number;
  codec: string;
  codecPrivate?: Uint8Array;
  codecDelayNs?: number;
  channels?: number;
}

export function demuxWebmOpus(bytes: Uint8Array): OpusStream {
  if (!isWebm(bytes)) throw new VoiceError("undecodable", "not a WebM/Matroska file");
  const tracks: Track[] = [];
  let track: Track | undefined;
  const blocks: { track: number; frames: Uint8Array[] }[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const id = readId(bytes, pos);
    if (!id) break;
    const size = readSize(bytes, pos + id.len);
    if (!size) break;
    const body = pos + id.len + size.len;
    if (DESCEND.has(id.value)) {
      if (id.value === ID.TrackEntry) tracks.push((track = { number: 0, codec: "" }));
      pos = body;
      continue;
    }
    if (size.value === undefined) break; // unknown size on a leaf: nothing sensible to skip to
    const end = body + size.value;
    if (end > bytes.length) {
      // A recording cut mid-element: keep what was complete.
      break;
    }
    const payload = bytes.subarray(body, end);
    switch (id.value) {
      case ID.TrackNumber:
        if (track) track.number = readUint(payload);
        break;
      case ID.CodecID:
        if (track) track.codec = String.fromCharCode(...payload);
        break;
      case ID.CodecPrivate:
        if (track) track.codecPrivate = payload;
        break;
      case ID.CodecDelay:
        if (track) track.codecDelayNs = readUint(payload);
        break;
      case ID.Channels:
        if (track) track.channels = readUint(payload);
        break;
      case ID.SimpleBlock:
      case ID.Block: {
        const block = parseBlock(payload);
        if (block) blocks.push(block);
        break;
      }
    }
    pos = end;
  }
  const opus = tracks.find((t) => t.codec === "A_OPUS");
  if (!opus) {
    const codecs = tracks.map((t) => t.codec).filter((c): c is string => Boolean(c));
    const audio = codecs.filter((c) => !c.startsWith("V_"));
    throw new VoiceError(
      tracks.length === 0 ? "truncated" : "undecodable",
      audio.length
        ? `WebM audio codec ${audio.join(", ")} is not supported (Opus only)`
        : codecs.length
          ? `WebM file with video only (${codecs.join(", ")}), no audio track: record with the microphone on`
          : "WebM file without an Opus track",
    );
  }
  const head = opus.codecPrivate
    ? parseOpusHead(opus.codecPrivate)
    : { channels: opus.channels ?? 1, preSkip: 0, inputSampleRate: 48000, outputGainDb: 0, mappingFamily: 0 };
  if (!opus.codecPrivate && opus.codecDelayNs) head.preSkip = Math.round((opus.codecDelayNs * 48000) / 1e9);
  const packets = blocks.filter((b) => b.track === opus.number).flatMap((b) => b.frames);
  if (packets.length === 0) throw new VoiceError("truncated", "WebM Opus track has no audio blocks");
  return { ...head, packets, totalSamples: undefined };
}

/** (Simple)Block: track vint, int16 timecode, flags, then one frame or a laced run of frames. */
function parseBlock(p: Uint8Array): { track: number; frames: Uint8Array[] } | undefined {
  const tn = readSize(p, 0);
  if (!tn || tn.value === undefined || tn.len + 3 > p.length) return undefined;
  const flags = p[tn.len + 2]!;
  let pos = tn.len + 3;
  const lacing = (flags >> 1) & 3;
  if (lacing === 0) return { track: tn.value, frames: [p.subarray(pos)] };
  const count = p[pos++]! + 1;
  const sizes: number[] = [];
  if (lacing === 1) {
    // Xiph lacing: each size is a run of 255s plus a final byte.
    for (let i = 0; i < count - 1; i++) {
      let s = 0;
      let b: number;
      do {
        b = p[pos++] ?? 0;
        s += b;
      } while (b === 255 && pos < p.length);
      sizes.push(s);
    }
  } else if (lacing === 3) {
    // EBML lacing: first size as a vint, then signed vint differences.
    const first = readSize(p, pos);
    if (!first || first.value === undefined) return undefined;
    pos += first.len;
    sizes.push(first.value);
    for (let i = 1; i < count - 1; i++) {
      const d = readSize(p, pos);
      if (!d || d.value === undefined) return undefined;
      pos += d.len;
      const bias = 2 ** (7 * d.len - 1) - 1;
      sizes.push(sizes[i - 1]! + d.value - bias);
    }
  } else {
    // Fixed-size lacing.
    const each = Math.floor((p.length - pos) / count);
    for (let i = 0; i < count - 1; i++) sizes.push(each);
  }
  const frames: Uint8Array[] = [];
  for (const s of sizes) {
    if (s < 0 || pos + s > p.length) return undefined;
    frames.push(p.subarray(pos, pos + s));
    pos += s;
  }
  frames.push(p.subarray(pos));
  return { track: tn.value, frames };
}

/** Element ID: a vint whose marker bit is kept as part of the value. */
function readId(b: Uint8Array, pos: number): { value: number; len: number } | undefined {
  const first = b[pos];
  if (first === undefined || first === 0) return undefined;
  const len = Math.clz32(first) - 23; // 1 for 0x80.., 4 for 0x10..
  if (len > 4 || pos + len > b.length) return undefined;
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[pos + i]!;
  return { value: v, len };
}

/** Data size (or track number): a vint without its marker; all value bits set = unknown size. */
function readSize(b: Uint8Array, pos: number): { value: number | undefined; len: number } | undefined {
  const first = b[pos];
  if (first === undefined || first === 0) return undefined;
  const len = Math.clz32(first) - 23;
  if (len > 8 || pos + len > b.length) return undefined;
  let v = first & (0xff >> len);
  let allOnes = v === 0xff >> len;
  for (let i = 1; i < len; i++) {
    const x = b[pos + i]!;
    if (x !== 0xff) allOnes = false;
    v = v * 256 + x;
  }
  return { value: allOnes ? undefined : v, len };
}

function readUint(p: Uint8Array): number {
  let v = 0;
  for (const x of p) v = v * 256 + x;
  return v;
}
