// Voice enrolment consistency on the eval speakers (a check only: the threshold was chosen on background data by
// `node scripts/train-voice.mjs`, see wasm-models/voice-lda.json "enrolConsistency"). From the repository root:
//   npx tsx bench/voice-consistency.ts
// Prints, at the model's consistency threshold: the share of same-speaker and different-speaker clip pairs an
// enrolment would refuse, and of 3-clip enrolments (all triples of one speaker's clips; two clips of one speaker
// plus one of another).
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createVoiceEmbedder } from "../src/biometrics/voice/embedder";
import { inconsistentPair } from "../src/biometrics/voice/consistency";
import { voiceLdaModel } from "../src/biometrics/voice/model";
import { setOpusWasm } from "../src/biometrics/voice/opus";
import { cosine } from "../src/biometrics/voice/projection";
import { analyseClip, assertSpeech } from "../src/biometrics/voice/voice";
import { runOnnxNode } from "../scripts/voice/ort-node";

const EVAL = join(resolve(process.env.VOICE_DATA_DIR ?? "../shared/data"), "voice/eval");
setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));
const model = voiceLdaModel(readFileSync("wasm-models/voice-lda.onnx"));
const embedder = createVoiceEmbedder(model, runOnnxNode);
const threshold = model.enrolConsistencyThreshold!;
const pct = (a: number, n: number) => `${((100 * a) / n).toFixed(2)} % (${a}/${n})`;

const clips: { speaker: string; emb: Float32Array }[] = [];
for (const speaker of readdirSync(EVAL).sort()) {
  for (const f of readdirSync(join(EVAL, speaker)).filter((x) => x.endsWith(".wav")).sort()) {
    const { audio, features } = await analyseClip(readFileSync(join(EVAL, speaker, f)));
    assertSpeech(features);
    clips.push({ speaker, emb: await embedder.embed(features, audio.samples) });
  }
}
const same: number[] = [];
const different: number[] = [];
for (let i = 0; i < clips.length; i++)
  for (let j = i + 1; j < clips.length; j++) (clips[i]!.speaker === clips[j]!.speaker ? same : different).push(cosine(clips[i]!.emb, clips[j]!.emb));
const below = (xs: number[]) => xs.filter((x) => x < threshold).length;
console.log(`model ${model.modelId}: enrolment consistency threshold ${threshold}; ${clips.length} eval clips of ${new Set(clips.map((c) => c.speaker)).size} speakers`);
console.log(`clip pairs refused: same speaker ${pct(below(same), same.length)}, different speakers ${pct(below(different), different.length)}`);
console.log(`same-speaker pair cosine: min ${Math.min(...same).toFixed(3)}; different-speaker pair cosine: max ${Math.max(...different).toFixed(3)}`);

// 3-clip enrolments.
let genuineSets = 0;
let genuineRefused = 0;
let mixedSets = 0;
let mixedRefused = 0;
const bySpeaker = new Map<string, Float32Array[]>();
for (const c of clips) bySpeaker.set(c.speaker, [...(bySpeaker.get(c.speaker) ?? []), c.emb]);
for (const [speaker, embs] of bySpeaker) {
  for (let a = 0; a < embs.length; a++)
    for (let b = a + 1; b < embs.length; b++) {
      for (let c = b + 1; c < embs.length; c++) {
        genuineSets++;
        if (inconsistentPair([embs[a]!, embs[b]!, embs[c]!], threshold)) genuineRefused++;
      }
      for (const [other, otherEmbs] of bySpeaker) {
        if (other === speaker) continue;
        for (const e of otherEmbs) {
          mixedSets++;
          if (inconsistentPair([embs[a]!, embs[b]!, e], threshold)) mixedRefused++;
        }
      }
    }
}
console.log(`3-clip enrolments refused: one speaker ${pct(genuineRefused, genuineSets)}; two clips of one speaker + one of another ${pct(mixedRefused, mixedSets)}`);
