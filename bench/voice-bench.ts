// Voice benchmark: accuracy on ../shared/data/voice/eval and per-stage latency. Run from the repo root:
//   node bench/voice.mjs                      # shipped model (wasm-models/voice-lda.onnx)
//   node bench/voice.mjs --model x.onnx --kind wespeaker --id my-model [--threshold 0.4]
// The eval set is only scored here; nothing is fitted on it. The threshold is the model's own (chosen on
// background data by scripts/train-voice.mjs); for an operator model without one, the EER point on
// background halves is printed as a calibration suggestion.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { createVoiceEmbedder, type VoiceEmbedder, type VoiceModel } from "../src/biometrics/voice/embedder";
import { decodeAudio } from "../src/biometrics/voice/decode";
import { extractVoiceFeatures, sliceFbank } from "../src/biometrics/voice/features";
import { voiceLdaModel, wespeakerModel } from "../src/biometrics/voice/model";
import { setOpusWasm } from "../src/biometrics/voice/opus";
import { cosine } from "../src/biometrics/voice/projection";
import { enrolVoice, meanEmbedding, verifyVoice } from "../src/biometrics/voice/voice";
import { computeEer, ratesAt } from "../scripts/voice/metrics";
import { opusRoundTrip } from "../scripts/voice/opus-roundtrip";
import { runOnnxNode } from "../scripts/voice/ort-node";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const DATA = resolve(process.env.VOICE_DATA_DIR ?? "../shared/data");
const EVAL = join(DATA, "voice/eval");
const MEDIA = join(DATA, "media");

setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));

function loadModel(): VoiceModel {
  const path = arg("--model");
  if (!path) return voiceLdaModel(readFileSync("wasm-models/voice-lda.onnx"));
  const bytes = readFileSync(path);
  if ((arg("--kind") ?? "wespeaker") === "wespeaker") {
    return wespeakerModel({ modelId: arg("--id") ?? path, bytes, threshold: Number(arg("--threshold") ?? NaN) });
  }
  return { ...voiceLdaModel(bytes), modelId: arg("--id") ?? path, threshold: Number(arg("--threshold") ?? NaN) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

async function time<T>(fn: () => Promise<T> | T, reps: number): Promise<{ value: T; ms: number }> {
  let value = await fn();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  return { value, ms: median(times) };
}

async function main() {
  const model = loadModel();
  const embedder: VoiceEmbedder = createVoiceEmbedder(model, runOnnxNode);
  const speakers = readdirSync(EVAL).filter((d) => statSync(join(EVAL, d)).isDirectory()).sort();
  const utts: { speaker: string; file: string; bytes: Uint8Array; emb: Float32Array; opusEmb: Float32Array; shortEmb: Float32Array; seconds: number }[] = [];
  const lat = { decodeWav: [] as number[], fbankVad: [] as number[], embed: [] as number[] };
  for (const sp of speakers) {
    for (const f of readdirSync(join(EVAL, sp)).filter((x) => x.endsWith(".wav")).sort()) {
      const bytes = readFileSync(join(EVAL, sp, f));
      const dec = await time(() => decodeAudio(bytes), 2);
      const feats = await time(() => extractVoiceFeatures(dec.value.samples), 2);
      const emb = await time(() => embedder.embed(feats.value, dec.value.samples), 2);
      lat.decodeWav.push(dec.ms);
      lat.fbankVad.push(feats.ms);
      lat.embed.push(emb.ms);
      // Browser condition: the same clip after an Opus round trip at 24 kbps (a rate not used in training).
      const coded = await opusRoundTrip(dec.value.samples, 24);
      const opusEmb = await embedder.embed(extractVoiceFeatures(coded), coded);
      // Monitoring condition: only the first 3 s of the clip.
      const short = dec.value.samples.subarray(0, 3 * 16000);
      const shortEmb = await embedder.embed(extractVoiceFeatures(short), short);
      utts.push({ speaker: sp, file: f, bytes, emb: emb.value, opusEmb, shortEmb, seconds: dec.value.durationSec });
    }
  }
  // All pairs.
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < utts.length; i++) {
    for (let j = i + 1; j < utts.length; j++) {
      const s = cosine(utts[i]!.emb, utts[j]!.emb);
      (utts[i]!.speaker === utts[j]!.speaker ? genuine : impostor).push(s);
    }
  }
  // Enrolment from 3 consecutive utterances (three disjoint triples per speaker) vs every other clip.
  const g3: number[] = [];
  const i3: number[] = [];
  for (const sp of speakers) {
    const own = utts.filter((u) => u.speaker === sp);
    for (let start = 0; start + 3 <= 9; start += 3) {
      const enrol = own.slice(start, start + 3);
      const tpl = meanEmbedding(enrol.map((u) => u.emb));
      for (const u of utts) {
        if (enrol.includes(u)) continue;
        (u.speaker === sp ? g3 : i3).push(cosine(tpl, u.emb));
      }
    }
  }
  // WAV enrolment (3 clips) vs Opus-coded verification clips, and vs 3 s crops.
  const g3o: number[] = [];
  const i3o: number[] = [];
  const g3s: number[] = [];
  const i3s: number[] = [];
  for (const sp of speakers) {
    const own = utts.filter((u) => u.speaker === sp);
    for (let start = 0; start + 3 <= 9; start += 3) {
      const enrol = own.slice(start, start + 3);
      const tpl = meanEmbedding(enrol.map((u) => u.emb));
      for (const u of utts) {
        if (enrol.includes(u)) continue;
        (u.speaker === sp ? g3o : i3o).push(cosine(tpl, u.opusEmb));
        (u.speaker === sp ? g3s : i3s).push(cosine(tpl, u.shortEmb));
      }
    }
  }
  const thr = model.threshold;
  const pairs = computeEer(genuine, impostor);
  const enrol3 = computeEer(g3, i3);
  const meanSec = utts.reduce((a, u) => a + u.seconds, 0) / utts.length;
  const opusBytes = statSync("node_modules/@evan/opus/wasm/opus.wasm").size;
  console.log(`model ${model.modelId} (${model.kind}), ${model.bytes.length} bytes, threshold ${thr}; opus.wasm ${opusBytes} bytes`);
  console.log(`machine load average at start of timing: ${loadavg().map((x) => x.toFixed(1)).join(" ")} (${process.version})`);
  console.log(`eval: ${speakers.length} speakers, ${utts.length} utterances, mean ${meanSec.toFixed(1)} s`);
  const at = (g: number[], im: number[]) => (Number.isFinite(thr) ? ratesAt(g, im, thr) : { fmr: NaN, fnmr: NaN });
  const r1 = at(genuine, impostor);
  const r3 = at(g3, i3);
  console.log(`pairs: ${genuine.length} genuine / ${impostor.length} impostor: EER ${pct(pairs.eer)} (at ${pairs.threshold.toFixed(3)}); at threshold FMR ${pct(r1.fmr)} FNMR ${pct(r1.fnmr)}`);
  console.log(`enrol-3: ${g3.length} genuine / ${i3.length} impostor: EER ${pct(enrol3.eer)} (at ${enrol3.threshold.toFixed(3)}); at threshold FMR ${pct(r3.fmr)} FNMR ${pct(r3.fnmr)}`);
  const enrol3o = computeEer(g3o, i3o);
  const r3o = at(g3o, i3o);
  console.log(`enrol-3 WAV vs Opus 24 kbps clips: EER ${pct(enrol3o.eer)} (at ${enrol3o.threshold.toFixed(3)}); at threshold FMR ${pct(r3o.fmr)} FNMR ${pct(r3o.fnmr)}`);
  const enrol3s = computeEer(g3s, i3s);
  const r3s = at(g3s, i3s);
  console.log(`enrol-3 vs first 3 s of each clip: EER ${pct(enrol3s.eer)} (at ${enrol3s.threshold.toFixed(3)}); at threshold FMR ${pct(r3s.fmr)} FNMR ${pct(r3s.fnmr)}`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`scores: genuine ${mean(genuine).toFixed(3)} (min ${Math.min(...genuine).toFixed(3)}), impostor ${mean(impostor).toFixed(3)} (max ${Math.max(...impostor).toFixed(3)})`);

  // Latency per clip (median over the eval clips, each stage timed twice after a warm-up).
  console.log(`latency ms (median per eval clip, ${meanSec.toFixed(1)} s): decode WAV ${median(lat.decodeWav).toFixed(2)}, fbank+VAD ${median(lat.fbankVad).toFixed(2)}, embed ${median(lat.embed).toFixed(2)}`);
  const webm = readFileSync(join(MEDIA, "speech5s.webm"));
  const ogg = readFileSync(join(MEDIA, "speech5s.ogg"));
  const wav48 = readFileSync(join(MEDIA, "speech5s_48k.wav"));
  const dw = await time(() => decodeAudio(webm), 10);
  const dog = await time(() => decodeAudio(ogg), 10);
  const d48 = await time(() => decodeAudio(wav48), 10);
  console.log(`latency ms (5 s clip): decode WebM/Opus ${dw.ms.toFixed(2)}, Ogg/Opus ${dog.ms.toFixed(2)}, WAV 48 kHz + resample ${d48.ms.toFixed(2)}`);
  const tpl = await enrolVoice(utts.slice(0, 3).map((u) => u.bytes), embedder);
  const vw = await time(() => verifyVoice(tpl, utts[5]!.bytes, embedder), 10);
  const vo = await time(() => verifyVoice(tpl, webm, embedder), 10);
  console.log(`latency ms whole verify (decode+fbank+VAD+embed+score): eval WAV ${vw.ms.toFixed(2)} (${utts[5]!.seconds.toFixed(1)} s), WebM/Opus 5 s ${vo.ms.toFixed(2)}`);

  // Same recording through each container: how far Opus moves the embedding.
  const embOf = async (b: Uint8Array) => {
    const d = await decodeAudio(b);
    return embedder.embed(extractVoiceFeatures(d.samples), d.samples);
  };
  const e16 = await embOf(readFileSync(join(MEDIA, "speech5s_16k.wav")));
  console.log(
    `same clip across formats, cosine to 16 kHz WAV: 48 kHz WAV ${cosine(e16, await embOf(wav48)).toFixed(4)}, WebM ${cosine(e16, await embOf(webm)).toFixed(4)}, Ogg ${cosine(e16, await embOf(ogg)).toFixed(4)}`,
  );

  if (arg("--model") && !Number.isFinite(thr)) {
    // Calibration for an operator model: EER point on background speakers (first vs second half).
    const bg = join(DATA, "voice/background");
    const a: Float32Array[] = [];
    const b: Float32Array[] = [];
    for (const f of readdirSync(bg).sort()) {
      const d = await decodeAudio(readFileSync(join(bg, f)));
      const feats = extractVoiceFeatures(d.samples);
      const mid = Math.floor(feats.fbank.frames / 2);
      const half = (s: number, e: number) => {
        const fb = sliceFbank(feats.fbank, s, e);
        const mask = feats.vad.speechMask.subarray(s, e);
        return embedder.embed({ ...feats, fbank: fb, vad: { ...feats.vad, speechMask: mask } }, d.samples.subarray(s * 160, e * 160 + 240));
      };
      a.push(await half(0, mid));
      b.push(await half(mid, feats.fbank.frames));
    }
    const gb: number[] = [];
    const ib: number[] = [];
    a.forEach((x, i) => b.forEach((y, j) => (i === j ? gb : ib).push(cosine(x, y))));
    const cal = computeEer(gb, ib);
    console.log(`background calibration: EER ${pct(cal.eer)} at threshold ${cal.threshold.toFixed(4)} (use --threshold)`);
  }
}

await main();
