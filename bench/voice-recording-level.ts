// Voice decisions against the recording level (BENCHMARKS.md, "Recording level"): the eval speakers' clips made
// quieter or louder by a digital gain (and once as 8-bit PCM), decided at `high` against 3-clip enrolments at the
// recording's own level, with the clip's level brought into the trained range (the service) and as recorded
// (before). Nothing is fitted here.
//
//   npx tsx bench/voice-recording-level.ts      # ~1 min
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runOnnxNode } from "../scripts/voice/ort-node";
import { decodeAudio } from "../src/biometrics/voice/decode";
import { averageProbes, decideVoice } from "../src/biometrics/voice/decide";
import { createVoiceEmbedder } from "../src/biometrics/voice/embedder";
import { extractVoiceFeatures, speechLevelDb } from "../src/biometrics/voice/features";
import { voiceLdaModel } from "../src/biometrics/voice/model";
import { VOICE_OPERATING_POINTS } from "../src/biometrics/voice/operating-points";
import { assertSpeech } from "../src/biometrics/voice/voice";
import { parseWav } from "../src/biometrics/voice/wav";
import { fmtRate } from "./metrics";

const EVAL = resolve("../shared/data/voice/eval");
const embedder = createVoiceEmbedder(voiceLdaModel(readFileSync("wasm-models/voice-lda.onnx")), runOnnxNode);
const speakers = readdirSync(EVAL).sort();
const clips = new Map(speakers.map((s) => [s, readdirSync(join(EVAL, s)).filter((f) => f.endsWith(".wav")).sort().map((f) => parseWav(readFileSync(join(EVAL, s, f))).samples)]));
type Level = "into trained range" | "as recorded";
/** The clip at `gain`, through 16-bit (or 8-bit) PCM as a WAV file would carry it. */
const recorded = (x: Float32Array, gain: number, bits: 8 | 16) => {
  const q = bits === 16 ? 32767 : 127;
  return x.map((v) => Math.round(Math.max(-1, Math.min(1, v * gain)) * q) / q);
};
async function embed(x: Float32Array, level: Level) {
  const f = extractVoiceFeatures(x, { level });
  try {
    assertSpeech(f);
  } catch {
    return { embedding: null, level: speechLevelDb(extractVoiceFeatures(x, { level: "as recorded" }).fbank) };
  }
  return { embedding: await embedder.embed(f, x), level: speechLevelDb(extractVoiceFeatures(x, { level: "as recorded" }).fbank) };
}

const conditions: [string, number, 8 | 16][] = [
  ["+10 dB (x3, clipped where loud)", 3, 16],
  ["as recorded", 1, 16],
  ["-10 dB (x0.3)", 0.3, 16],
  ["-20 dB (x0.1)", 0.1, 16],
  ["-26 dB (x0.05)", 0.05, 16],
  ["-34 dB (x0.02)", 0.02, 16],
  ["8-bit PCM", 1, 8],
];
const threshold = VOICE_OPERATING_POINTS.high.threshold;
console.log(`eval speakers ${speakers.join(", ")}; enrolment = clips 0-2 at the recording's level; genuine probes clips 3-9, impostor probes clips 3-9 of the 4 others; level 'high' (${threshold})\n`);
console.log("| probe | level handling | probe level dBFS (median) | genuine refused | no speech found | impostors accepted | genuine median score |");
console.log("|---|---|---|---|---|---|---|");
for (const [name, gain, bits] of conditions) {
  for (const level of ["as recorded", "into trained range"] as Level[]) {
    let refused = 0, genuine = 0, noSpeech = 0, accepted = 0, impostor = 0;
    const scores: number[] = [];
    const levels: number[] = [];
    for (const s of speakers) {
      const enrol = await Promise.all([0, 1, 2].map(async (k) => (await embed(clips.get(s)![k]!, level)).embedding!));
      const template = averageProbes(enrol);
      for (const t of speakers) {
        for (let k = 3; k < 10; k++) {
          const p = await embed(recorded(clips.get(t)![k]!, gain, bits), level);
          if (t === s) levels.push(p.level);
          if (!p.embedding) {
            if (t === s) { noSpeech++; genuine++; refused++; }
            continue;
          }
          const d = decideVoice(template, p.embedding, "high");
          if (t === s) {
            genuine++;
            scores.push(d.normalised);
            if (!d.isMatch) refused++;
          } else {
            impostor++;
            if (d.isMatch) accepted++;
          }
        }
      }
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    console.log(`| ${name} | ${level} | ${med(levels).toFixed(1)} | ${fmtRate(refused, genuine)} | ${noSpeech} | ${fmtRate(accepted, impostor)} | ${med(scores).toFixed(2)} |`);
  }
}
