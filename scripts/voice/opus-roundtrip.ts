// Opus encode/decode round trip of 16 kHz audio (Node-only; training augmentation and the benchmark's
// browser-codec condition). The encoder is @evan/opus's own wasm glue (it reads the .wasm with fs); decoding
// goes through the service's decoder so the result is exactly what the Worker would produce.
import { createRequire } from "node:module";
import { join } from "node:path";
import { decodeOpus } from "../../src/biometrics/voice/opus";
import { resample } from "../../src/biometrics/voice/resample";

const requireFromRepo = createRequire(join(process.cwd(), "package.json"));

type EncoderCtor = new (o: { channels: number; sample_rate: number; application: string }) => {
  ctl(cmd: number, v?: number): number;
  encode(pcm: Int16Array): Uint8Array;
};

/** Encodes at 48 kHz like a browser (voip mode, complexity 5, 20 ms frames), decodes to 16 kHz. Deterministic. */
export function opusRoundTrip(s16k: Float32Array, kbps: number): Promise<Float32Array> {
  const { Encoder } = requireFromRepo("@evan/opus/wasm/index.js") as { Encoder: EncoderCtor };
  const enc = new Encoder({ channels: 1, sample_rate: 48000, application: "voip" });
  enc.ctl(4002, kbps * 1000); // OPUS_SET_BITRATE
  enc.ctl(4010, 5); // OPUS_SET_COMPLEXITY
  const up = resample(s16k, 16000, 48000);
  const packets: Uint8Array[] = [];
  const pcm = new Int16Array(960);
  for (let i = 0; i + 960 <= up.length; i += 960) {
    for (let k = 0; k < 960; k++) pcm[k] = Math.max(-32768, Math.min(32767, Math.round(up[i + k]! * 32768)));
    packets.push(enc.encode(pcm).slice());
  }
  return decodeOpus({ channels: 1, preSkip: 312, inputSampleRate: 48000, outputGainDb: 0, mappingFamily: 0, packets, totalSamples: undefined }, 16000);
}
