// Voice decisions with a mains hum under the voice (BENCHMARKS.md, "Mains hum"): the eval speakers' clips with a
// 50 Hz tone, or a 60 Hz ground-loop buzz (60, 120, 180, 240 Hz), added at several levels, decided at `high` against
// 3-clip enrolments of the clean clips, with the hum notched out (the service, src/biometrics/voice/hum.ts) and kept
// (before). Also: how many of the 301 shared utterances the hum search flags (none may: their features must not
// change), and its cost per clip. Nothing is fitted here.
//
//   npx tsx bench/voice-hum.ts      # ~1 min
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runOnnxNode } from "../scripts/voice/ort-node";
import { averageProbes, decideVoice } from "../src/biometrics/voice/decide";
import { createVoiceEmbedder } from "../src/biometrics/voice/embedder";
import { computeFbank } from "../src/biometrics/voice/fbank";
import { extractVoiceFeatures, levelIntoTrainedRange, utteranceStats, type VoiceFeatures } from "../src/biometrics/voice/features";
import { findMainsHum } from "../src/biometrics/voice/hum";
import { voiceLdaModel } from "../src/biometrics/voice/model";
import { VOICE_OPERATING_POINTS } from "../src/biometrics/voice/operating-points";
import { detectVoice } from "../src/biometrics/voice/vad";
import { assertSpeech } from "../src/biometrics/voice/voice";
import { parseWav } from "../src/biometrics/voice/wav";
import { fmtRate } from "./metrics";

const DATA = resolve("../shared/data/voice");
const EVAL = join(DATA, "eval");
const embedder = createVoiceEmbedder(voiceLdaModel(readFileSync("wasm-models/voice-lda.onnx")), runOnnxNode);
const speakers = readdirSync(EVAL).sort();
const read = (path: string) => parseWav(readFileSync(path)).samples;
const clips = new Map(speakers.map((s) => [s, readdirSync(join(EVAL, s)).filter((f) => f.endsWith(".wav")).sort().map((f) => read(join(EVAL, s, f)))]));

/** The service's features (hum notched) or the same without the notch (before). */
function features(x: Float32Array, notch: boolean): VoiceFeatures {
  if (notch) return extractVoiceFeatures(x);
  const fbank = levelIntoTrainedRange(computeFbank(x));
  const vad = detectVoice(fbank);
  return { fbank, vad, stats: utteranceStats(fbank, vad.speechMask), hum: null };
}
async function embed(x: Float32Array, notch: boolean) {
  const f = features(x, notch);
  try {
    assertSpeech(f);
  } catch {
    return null;
  }
  return embedder.embed(f, x);
}
/** `x` with a hum of these frequencies, the whole at `db` dBFS (RMS), through 16-bit PCM. */
const withHum = (x: Float32Array, hz: number[], db: number) => {
  const amp = (10 ** (db / 20) * Math.SQRT2) / Math.sqrt(hz.length);
  return x.map((v, i) => Math.round(Math.max(-1, Math.min(1, v + hz.reduce((a, f) => a + amp * Math.sin((2 * Math.PI * f * i) / 16000 + f), 0))) * 32767) / 32767);
};

// 1. The shared utterances: none may be flagged.
let flagged = 0;
let total = 0;
let cpu = 0;
for (const path of [
  ...readdirSync(join(DATA, "background")).filter((f) => f.endsWith(".wav")).map((f) => join(DATA, "background", f)),
  ...speakers.flatMap((s) => readdirSync(join(EVAL, s)).filter((f) => f.endsWith(".wav")).map((f) => join(EVAL, s, f))),
]) {
  const x = read(path);
  const t = process.cpuUsage();
  const hum = findMainsHum(x);
  const used = process.cpuUsage(t);
  cpu += (used.user + used.system) / 1000;
  total++;
  if (hum) {
    flagged++;
    console.log(`flagged: ${path} ${JSON.stringify(hum)}`);
  }
}
console.log(`shared utterances flagged as hum: ${flagged} of ${total}; search CPU ${(cpu / total).toFixed(1)} ms per clip (mean)\n`);

// 2. Decisions with hum added.
const threshold = VOICE_OPERATING_POINTS.high.threshold;
console.log(`eval speakers ${speakers.join(", ")}; enrolment = clean clips 0-2; genuine probes clips 3-9 with the hum, impostor probes clips 3-9 of the 4 others with the hum; level 'high' (${threshold})\n`);
console.log("| hum added to the probe | notch | genuine refused (incl. no speech found) | impostors accepted | genuine median score |");
console.log("|---|---|---|---|---|");
const conditions: [string, number[], number | null][] = [
  ["none", [], null],
  ["50 Hz at -45 dBFS", [50], -45],
  ["50 Hz at -40 dBFS", [50], -40],
  ["50 Hz at -35 dBFS", [50], -35],
  ["50 Hz at -30 dBFS", [50], -30],
  ["60, 120, 180, 240 Hz buzz at -40 dBFS", [60, 120, 180, 240], -40],
  ["60, 120, 180, 240 Hz buzz at -30 dBFS", [60, 120, 180, 240], -30],
];
const templates = new Map<string, Float32Array>();
for (const s of speakers) templates.set(s, averageProbes(await Promise.all([0, 1, 2].map(async (k) => (await embed(clips.get(s)![k]!, true))!))));
for (const [name, hz, db] of conditions) {
  for (const notch of db === null ? [true] : [false, true]) {
    let refused = 0, genuine = 0, accepted = 0, impostor = 0;
    const scores: number[] = [];
    for (const s of speakers) {
      for (const t of speakers) {
        for (let k = 3; k < 10; k++) {
          const x = clips.get(t)![k]!;
          const e = await embed(db === null ? x : withHum(x, hz, db), notch);
          if (t === s) genuine++;
          else impostor++;
          if (!e) {
            if (t === s) refused++;
            continue;
          }
          const d = decideVoice(templates.get(s)!, e, "high");
          if (t === s) {
            scores.push(d.normalised);
            if (!d.isMatch) refused++;
          } else if (d.isMatch) accepted++;
        }
      }
    }
    const med = [...scores].sort((a, b) => a - b)[scores.length >> 1]!;
    console.log(`| ${name} | ${db === null ? "-" : notch ? "notched (now)" : "kept (before)"} | ${fmtRate(refused, genuine)} | ${fmtRate(accepted, impostor)} | ${med.toFixed(2)} |`);
  }
}
