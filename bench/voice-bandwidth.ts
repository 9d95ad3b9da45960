// How much of a clip's speech energy lies above 4 kHz (features.ts `highBandDb`), for the telephone-band hint of a
// refused voice clip (services/biometrics/voice.ts, TELEPHONE_BAND_BELOW_DB): the shared LibriSpeech utterances as
// recorded, every third resampled to 8 kHz and back to 16 kHz with sox (what a Bluetooth headset in hands-free mode or a
// recorded call delivers in a 16 kHz file), and every tenth through Opus at 16 kb/s with ffmpeg.
//
//   npx tsx bench/voice-bandwidth.ts      # ~1-2 min; needs sox and ffmpeg (apt-get install sox ffmpeg)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../src/biometrics/voice/decode";
import { extractVoiceFeatures, highBandDb } from "../src/biometrics/voice/features";
import { setOpusWasm } from "../src/biometrics/voice/opus";

setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));
const root = join("..", "shared", "data", "voice");
const tmp = mkdtempSync(join(tmpdir(), "voice-bandwidth-"));
const files: string[] = [];
for (const sp of readdirSync(join(root, "eval"))) for (const f of readdirSync(join(root, "eval", sp))) files.push(join(root, "eval", sp, f));
for (const f of readdirSync(join(root, "background"))) files.push(join(root, "background", f));

const measure = async (bytes: Uint8Array) => {
  const a = await decodeAudio(bytes);
  const x = extractVoiceFeatures(a.samples);
  return highBandDb(x.fbank, x.vad.speechMask);
};
const wide: number[] = [];
const narrow: number[] = [];
const opus: number[] = [];
for (const [k, f] of files.entries()) {
  wide.push(await measure(new Uint8Array(readFileSync(f))));
  if (k % 3 === 0) {
    execFileSync("sox", ["-q", f, "-r", "8000", join(tmp, "n8.wav")]);
    execFileSync("sox", ["-q", join(tmp, "n8.wav"), "-r", "16000", join(tmp, "n16.wav")]);
    narrow.push(await measure(new Uint8Array(readFileSync(join(tmp, "n16.wav")))));
  }
  if (k % 10 === 0) {
    execFileSync("ffmpeg", ["-y", "-loglevel", "error", "-i", f, "-c:a", "libopus", "-b:a", "16k", join(tmp, "o.ogg")]);
    opus.push(await measure(new Uint8Array(readFileSync(join(tmp, "o.ogg")))));
  }
}
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * (a.length - 1)))]!.toFixed(1);
console.log("| clips | n | min | 1st pct | median | 99th pct | max |\n|---|---|---|---|---|---|---|");
for (const [name, a] of [["as recorded (16 kHz)", wide], ["8 kHz and back to 16 kHz", narrow], ["Opus 16 kb/s", opus]] as const) {
  console.log(`| ${name} | ${a.length} | ${q(a, 0)} | ${q(a, 0.01)} | ${q(a, 0.5)} | ${q(a, 0.99)} | ${q(a, 1)} |`);
}
