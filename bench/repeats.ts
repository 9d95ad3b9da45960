// How close can two live captures come, and how close is a copy? The numbers behind src/biometrics/repeats.ts: why
// exam monitoring recognises exact copies only (the same embedding, bit for bit: a still picture looped through a
// virtual camera, the same file sent again), and the cosines (REPEAT_COSINE) that tell two samples of one enrolment
// request apart from the same capture sent twice.
// Face: for pictures of ../shared/data/faces, the cosine between the embedding of a picture and of the same picture
// changed as a copy would be (identical pixels, +-1 grey level, re-encoded as JPEG) and as the next frame of a live
// camera at least is (sensor noise of 1-3 grey levels, the face moved by one or two pixels); and between two different
// photos of one person. Voice: for ../shared/data/voice/eval, the same for the clip played again (identical,
// resampled, re-encoded with Opus, looped, mixed with faint noise) against two different utterances of one speaker.
//
//   npx tsx bench/repeats.ts            (~3 min; prints the tables of BENCHMARKS.md "Repeated samples")
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import jpegJs from "jpeg-js";
import { decodeImage } from "../src/biometrics/face/decode";
import type { RgbImage } from "../src/biometrics/face/image";
import { analyseFace, cosine as faceCosine } from "../src/biometrics/face/pipeline";
import { createVoiceEmbedder } from "../src/biometrics/voice/embedder";
import { voiceLdaModel } from "../src/biometrics/voice/model";
import { setOpusWasm } from "../src/biometrics/voice/opus";
import { cosine as voiceCosine } from "../src/biometrics/voice/projection";
import { analyseClip } from "../src/biometrics/voice/voice";
import { encodeWav16 } from "../src/biometrics/voice/wav";
import { REPEAT_COSINE } from "../src/biometrics/repeats";
import { runOnnxNode } from "../scripts/voice/ort-node";
import { opusRoundTrip } from "../scripts/voice/opus-roundtrip";
import { labels, nodeFace, SHARED } from "./node-face";

// A fixed pseudo-random sequence, so every run measures the same noise.
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!.toFixed(7);
  return `${s.length} | ${q(0)} | ${q(0.5)} | ${q(1)}`;
};
const atLeast = (xs: number[], t: number) => `${xs.filter((x) => x >= t).length}/${xs.length}`;

// ---------------- face ----------------
const { decoders, models } = await nodeFace();
const withNoise = (img: RgbImage, f: () => number): RgbImage => ({ ...img, data: Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, Math.round(v + f())))) });
const shifted = (img: RgbImage, dx: number): RgbImage => {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] = data[(y * W + Math.min(W - 1, Math.max(0, x - dx))) * 3 + c]!;
  return { width: W, height: H, data: out };
};
const jpegAgain = async (img: RgbImage, quality: number): Promise<RgbImage> => {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) for (let c = 0; c < 4; c++) rgba[i * 4 + c] = c === 3 ? 255 : img.data[i * 3 + c]!;
  const bytes = jpegJs.encode({ data: rgba, width: img.width, height: img.height }, quality).data;
  return (await decodeImage(new Uint8Array(bytes), decoders)).image;
};

const faceVariants: [string, "copy" | "live", (img: RgbImage) => Promise<RgbImage> | RgbImage][] = [
  ["the same pixels (a byte-identical frame, or one with bytes added)", "copy", (i) => i],
  ["+-1 grey level at random", "copy", (i) => withNoise(i, () => Math.floor(rand() * 3) - 1)],
  ["re-encoded as JPEG, quality 92", "copy", (i) => jpegAgain(i, 92)],
  ["sensor noise, sigma 1 grey level", "live", (i) => withNoise(i, () => gauss())],
  ["sensor noise, sigma 2", "live", (i) => withNoise(i, () => 2 * gauss())],
  ["sensor noise, sigma 3", "live", (i) => withNoise(i, () => 3 * gauss())],
  ["moved 1 px", "live", (i) => shifted(i, 1)],
  ["moved 2 px", "live", (i) => shifted(i, 2)],
  ["moved 1 px + sensor noise sigma 1 + JPEG 92", "live", (i) => jpegAgain(withNoise(shifted(i, 1), () => gauss()), 92)],
];
const rows = labels().filter((l) => l.role !== "group_photo_unlabeled" && !l.file.startsWith("presentation"));
const lfw = rows.filter((l) => l.source.startsWith("lfw"));
const picked = [...rows.filter((l) => !l.source.startsWith("lfw")), ...lfw.filter((_, i) => i % 40 === 0)];
const faceCos = new Map<string, number[]>(faceVariants.map(([n]) => [n, []]));
const embeddingOf = async (img: RgbImage) => {
  const a = await analyseFace(img, models);
  return a.status === "ok" ? a.embedding! : null;
};
for (const l of picked) {
  const img = (await decodeImage(new Uint8Array(readFileSync(join(SHARED, "faces", l.file))), decoders)).image;
  const base = await embeddingOf(img);
  if (!base) continue;
  for (const [name, , make] of faceVariants) {
    const e = await embeddingOf(await make(img));
    if (e) faceCos.get(name)!.push(faceCosine(base, e));
  }
}
// Two different photos of one person (LFW identities with several photos).
const byIdentity = new Map<string, string[]>();
for (const l of lfw) byIdentity.set(l.identity, [...(byIdentity.get(l.identity) ?? []), l.file]);
const twoPhotos: number[] = [];
for (const files of [...byIdentity.values()].filter((f) => f.length >= 2).slice(0, 60)) {
  const [a, b] = await Promise.all(files.slice(0, 2).map(async (f) => embeddingOf((await decodeImage(new Uint8Array(readFileSync(join(SHARED, "faces", f))), decoders)).image)));
  if (a && b) twoPhotos.push(faceCosine(a, b));
}
console.log(`## Face (${picked.length} pictures; flagged as a repeat at cosine >= ${REPEAT_COSINE.face})\n`);
console.log(`| the second frame is | kind | pictures | min cosine | median | max | flagged |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const [name, kind] of faceVariants) console.log(`| ${name} | ${kind} | ${summary(faceCos.get(name)!)} | ${atLeast(faceCos.get(name)!, REPEAT_COSINE.face)} |`);
console.log(`| another photo of the same person (LFW) | live | ${summary(twoPhotos)} | ${atLeast(twoPhotos, REPEAT_COSINE.face)} |`);

// ---------------- voice ----------------
const EVAL = join(resolve("../shared/data"), "voice/eval");
setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));
const embedder = createVoiceEmbedder(voiceLdaModel(readFileSync("wasm-models/voice-lda.onnx")), runOnnxNode);
const voiceEmbedding = async (samples: Float32Array, rate = 16000) => {
  const { audio, features } = await analyseClip(encodeWav16([samples], rate));
  return embedder.embed(features, audio.samples);
};
const resample = (x: Float32Array, factor: number) => {
  const out = new Float32Array(Math.floor(x.length * factor));
  for (let i = 0; i < out.length; i++) {
    const p = i / factor;
    const j = Math.floor(p);
    out[i] = (x[j] ?? 0) * (1 - (p - j)) + (x[j + 1] ?? x[j] ?? 0) * (p - j);
  }
  return out;
};
const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
const plusNoise = (x: Float32Array, snrDb: number) => {
  const sd = rms(x) / 10 ** (snrDb / 20);
  return Float32Array.from(x, (v) => v + sd * gauss());
};
const voiceVariants: [string, "copy" | "live", (x: Float32Array) => Promise<Float32Array>][] = [
  ["the same samples (a byte-identical clip, or re-packed as float or 24-bit WAV)", "copy", (x) => voiceEmbedding(x)],
  ["resampled to 48 kHz (played and recorded digitally)", "copy", (x) => voiceEmbedding(resample(x, 3), 48000)],
  ["through Opus at 24 kbps (a browser's recording of the clip)", "copy", async (x) => voiceEmbedding(await opusRoundTrip(x, 24))],
  ["the clip twice in a row (a loop)", "copy", (x) => voiceEmbedding(Float32Array.from([...x, ...x]))],
  ["with faint noise at 40 dB SNR", "copy", (x) => voiceEmbedding(plusNoise(x, 40))],
  ["with noise at 20 dB SNR (a loop played into a room)", "copy", (x) => voiceEmbedding(plusNoise(x, 20))],
  ["its first half", "live", (x) => voiceEmbedding(x.slice(0, Math.floor(x.length / 2)))],
];
const voiceCos = new Map<string, number[]>(voiceVariants.map(([n]) => [n, []]));
const bySpeaker = new Map<string, Float32Array[]>();
for (const speaker of readdirSync(EVAL).sort()) {
  for (const f of readdirSync(join(EVAL, speaker)).filter((x) => x.endsWith(".wav")).sort()) {
    const { audio } = await analyseClip(readFileSync(join(EVAL, speaker, f)));
    const base = await voiceEmbedding(audio.samples);
    bySpeaker.set(speaker, [...(bySpeaker.get(speaker) ?? []), base]);
    for (const [name, , make] of voiceVariants) voiceCos.get(name)!.push(voiceCosine(base, await make(audio.samples)));
  }
}
const twoUtterances: number[] = [];
for (const embs of bySpeaker.values()) for (let i = 0; i < embs.length; i++) for (let j = i + 1; j < embs.length; j++) twoUtterances.push(voiceCosine(embs[i]!, embs[j]!));
console.log(`\n## Voice (${[...bySpeaker.values()].flat().length} eval clips; flagged as a repeat at cosine >= ${REPEAT_COSINE.voice})\n`);
console.log(`| the second clip is | kind | clips | min cosine | median | max | flagged |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const [name, kind] of voiceVariants) console.log(`| ${name} | ${kind} | ${summary(voiceCos.get(name)!)} | ${atLeast(voiceCos.get(name)!, REPEAT_COSINE.voice)} |`);
console.log(`| another utterance of the same speaker | live | ${summary(twoUtterances)} | ${atLeast(twoUtterances, REPEAT_COSINE.voice)} |`);
