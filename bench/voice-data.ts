// Cached voice features for the level / fusion benchmarks (Node only). Decoding, Opus round trips and fbank of
// 301 clips take a minute or two, so their statistics are cached under /tmp (VOICE_CACHE_DIR); delete the folder
// to recompute. Nothing here fits anything: it only turns audio into the 160-d statistics the projection reads.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { decodeAudio } from "../src/biometrics/voice/decode";
import { extractVoiceFeatures } from "../src/biometrics/voice/features";
import { setOpusWasm } from "../src/biometrics/voice/opus";
import { loadBackground, SPEED_RATES, type Utt } from "../scripts/voice/lda";
import { opusRoundTrip } from "../scripts/voice/opus-roundtrip";

const DATA = resolve(process.env.VOICE_DATA_DIR ?? "../shared/data");
export const EVAL_DIR = join(DATA, "voice/eval");
const CACHE = resolve(process.env.VOICE_CACHE_DIR ?? "/tmp/trustid-voice");

/** One eval utterance: statistics of the whole clip, of it after Opus 24 kbps, and of its first 3 s. */
export interface EvalClip {
  speaker: string;
  file: string;
  seconds: number;
  speechSeconds: number;
  clean: Float32Array;
  opus24: Float32Array;
  first3: Float32Array;
}

type Json = Record<string, unknown>;
const toJson = (x: Float32Array) => Array.from(x);
const fromJson = (x: unknown) => Float32Array.from(x as number[]);

function cached<T>(name: string, make: () => Promise<T>, save: (v: T) => Json[], load: (j: Json[]) => T): Promise<T> {
  const path = join(CACHE, name);
  if (existsSync(path)) return Promise.resolve(load(JSON.parse(readFileSync(path, "utf8")) as Json[]));
  return make().then((v) => {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(path, JSON.stringify(save(v)));
    return v;
  });
}

/** Background utterances with 2 s segment statistics (the shipped training configuration); `speedRate`: their
 * speed-perturbed copies (scripts/voice/lda.ts loadBackground). */
export function backgroundUtts(segFrames = 200, speedRate?: number): Promise<Utt[]> {
  return cached(
    `background-seg${segFrames}${speedRate ? `-speed${speedRate}` : ""}.json`,
    async () => (await loadBackground([segFrames], speedRate)).get(segFrames)!,
    (us) => us.map((u) => ({ speaker: u.speaker, full: toJson(u.full), segments: u.segments.map(toJson), halves: u.halves.map(toJson), codecHalf: toJson(u.codecHalf) })),
    (js) =>
      js.map((j) => ({
        speaker: j.speaker as string,
        full: fromJson(j.full),
        segments: (j.segments as unknown[]).map(fromJson),
        halves: (j.halves as unknown[]).map(fromJson) as [Float32Array, Float32Array],
        codecHalf: fromJson(j.codecHalf),
      })),
  );
}

/** What the shipped model is trained on: the background speakers and their speed-perturbed copies (SPEED_RATES;
 * copy i of each rate is speaker i's, so folds by index stay speaker-disjoint). */
export interface VoiceBackground { bg: Utt[]; copies: Utt[][] }
export async function voiceBackground(): Promise<VoiceBackground> {
  const bg = await backgroundUtts();
  const copies: Utt[][] = [];
  for (const r of SPEED_RATES) copies.push(await backgroundUtts(200, r));
  return { bg, copies };
}

export function evalClips(): Promise<EvalClip[]> {
  return cached(
    "eval.json",
    async () => {
      setOpusWasm(new WebAssembly.Module(readFileSync("node_modules/@evan/opus/wasm/opus.wasm")));
      const out: EvalClip[] = [];
      const speakers = readdirSync(EVAL_DIR).filter((d) => statSync(join(EVAL_DIR, d)).isDirectory()).sort();
      for (const speaker of speakers) {
        for (const file of readdirSync(join(EVAL_DIR, speaker)).filter((f) => f.endsWith(".wav")).sort()) {
          const audio = await decodeAudio(readFileSync(join(EVAL_DIR, speaker, file)));
          const feats = extractVoiceFeatures(audio.samples);
          const coded = await opusRoundTrip(audio.samples, 24);
          out.push({
            speaker,
            file,
            seconds: audio.durationSec,
            speechSeconds: feats.vad.speechSeconds,
            clean: feats.stats,
            opus24: extractVoiceFeatures(coded).stats,
            first3: extractVoiceFeatures(audio.samples.subarray(0, 3 * 16000)).stats,
          });
        }
      }
      return out;
    },
    (cs) => cs.map((c) => ({ ...c, clean: toJson(c.clean), opus24: toJson(c.opus24), first3: toJson(c.first3) })),
    (js) => js.map((j) => ({ ...(j as unknown as EvalClip), clean: fromJson(j.clean), opus24: fromJson(j.opus24), first3: fromJson(j.first3) })),
  );
}
