// Trains the voice projection on ../shared/data/voice/background and exports it as wasm-models/voice-lda.onnx.
// Run: `node scripts/train-voice.mjs` (bundles this file with esbuild, then runs it). Deterministic: no
// randomness anywhere; file order is sorted; rerunning gives byte-identical output.
//
// Recipe: per utterance, Kaldi fbank (80 log-mel) -> VAD speech frames -> [mean, std] per bin (160-d).
// The background set has ONE 6 s utterance per speaker, so within-speaker variation is taken from
// overlapping segments of each utterance. Stats are z-scored against the background, projected by LDA
// (between- vs within-speaker scatter, within-scatter shrunk toward its diagonal mean), centred, and
// length-normalised; scoring is cosine. Hyper-parameters and the decision threshold come from 5-fold
// cross-validation over background speakers (held-out speakers: first half vs second half of their
// utterance). The eval set is never read here.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { extractVoiceFeatures, sliceFbank, utteranceStats, STATS_DIM } from "../../src/biometrics/voice/features";
import { type Fbank } from "../../src/biometrics/voice/fbank";
import { parseWav } from "../../src/biometrics/voice/wav";
import { resample } from "../../src/biometrics/voice/resample";
import { setOpusWasm } from "../../src/biometrics/voice/opus";
import { opusRoundTrip } from "./opus-roundtrip";
import { cosine, projectStats, type LinearProjection } from "../../src/biometrics/voice/projection";
import { symmetricEigen, matmul, transpose } from "./linalg";
import { computeEer, thresholdAtFmr, ratesAt } from "./metrics";
import { encodeOnnxModel } from "./onnx-writer";

const repoRoot = process.env.VOICE_REPO_ROOT ? resolve(process.env.VOICE_REPO_ROOT) : process.cwd();
const BACKGROUND = resolve(repoRoot, process.env.VOICE_BACKGROUND_DIR ?? "../shared/data/voice/background");
const OUT_DIR = resolve(repoRoot, "wasm-models");
export const MODEL_ID = "trustid-voice-lda-v1";

interface Params {
  segFrames: number; // segment length for within-speaker scatter
  dim: number; // LDA output dimension
  shrink: number; // within-scatter shrinkage toward (mean variance) * I
}

interface Utt {
  speaker: string;
  full: Float32Array;
  /** Segment stats of the clean audio and of its Opus round trips (within-speaker + codec variation). */
  segments: Float32Array[];
  halves: [Float32Array, Float32Array];
  /** Second half after the first Opus round trip: the cross-codec CV condition. */
  codecHalf: Float32Array;
}

// Browsers deliver Opus; a WAV enrolment compared with a WebM verification must still match. Opus
// reshapes the log-mel statistics (smaller variances, altered top bands), so the training set includes each
// background utterance after an Opus encode/decode round trip at these bitrates (voip mode, complexity 5;
// deterministic). LDA then treats the codec shift as within-speaker variation.
const OPUS_KBPS = [16, 32];

const requireFromRepo = createRequire(join(repoRoot, "package.json"));

async function loadBackground(segFramesList: number[]): Promise<Map<number, Utt[]>> {
  setOpusWasm(new WebAssembly.Module(readFileSync(requireFromRepo.resolve("@evan/opus/wasm/opus.wasm"))));
  const files = readdirSync(BACKGROUND).filter((f) => f.endsWith(".wav")).sort();
  const fbs: { speaker: string; versions: { fb: Fbank; mask: Uint8Array }[] }[] = [];
  for (const f of files) {
    const pcm = parseWav(readFileSync(join(BACKGROUND, f)));
    const s = pcm.sampleRate === 16000 ? pcm.samples : resample(pcm.samples, pcm.sampleRate, 16000);
    const versions = [s];
    for (const kbps of OPUS_KBPS) versions.push(await opusRoundTrip(s, kbps));
    fbs.push({
      speaker: f.split("-")[0]!,
      versions: versions.map((x) => {
        const feats = extractVoiceFeatures(x);
        return { fb: feats.fbank, mask: feats.vad.speechMask };
      }),
    });
  }
  const out = new Map<number, Utt[]>();
  for (const seg of segFramesList) {
    out.set(
      seg,
      fbs.map(({ speaker, versions }) => {
        const segments: Float32Array[] = [];
        const halves: Float32Array[] = [];
        let full: Float32Array = new Float32Array(0);
        versions.forEach(({ fb, mask }, v) => {
          const stats = (a: number, b: number) => utteranceStats(sliceFbank(fb, a, b), mask.subarray(a, b));
          const hop = Math.max(1, Math.floor(seg / 2));
          for (let a = 0; a + seg <= fb.frames; a += hop) segments.push(stats(a, a + seg));
          const mid = Math.floor(fb.frames / 2);
          halves.push(stats(0, mid), stats(mid, fb.frames));
          if (v === 0) full = stats(0, fb.frames);
        });
        return { speaker, full, segments, halves: [halves[0]!, halves[1]!], codecHalf: halves[3]! };
      }),
    );
  }
  console.log(`background: ${files.length} utterances from ${BACKGROUND} (+ Opus ${OPUS_KBPS.join("/")} kbps round trips)`);
  return out;
}

/** Learns the folded projection: y = normalize(x W + b). */
export function trainProjection(utts: Utt[], p: Params): LinearProjection {
  const d = STATS_DIM;
  // z-score statistics from the whole-utterance stats.
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const u of utts) for (let i = 0; i < d; i++) mu[i] = mu[i]! + u.full[i]! / utts.length;
  for (const u of utts) for (let i = 0; i < d; i++) sd[i] = sd[i]! + (u.full[i]! - mu[i]!) ** 2 / utts.length;
  for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i]!) + 1e-6;
  const z = (x: Float32Array) => Float64Array.from(x, (v, i) => (v - mu[i]!) / sd[i]!);

  // Scatter matrices over segments, each speaker weighted equally.
  const sw = new Float64Array(d * d);
  const sb = new Float64Array(d * d);
  const means: Float64Array[] = [];
  const global = new Float64Array(d);
  for (const u of utts) {
    const zs = u.segments.map(z);
    const m = new Float64Array(d);
    for (const v of zs) for (let i = 0; i < d; i++) m[i] = m[i]! + v[i]! / zs.length;
    means.push(m);
    for (let i = 0; i < d; i++) global[i] = global[i]! + m[i]! / utts.length;
    for (const v of zs) {
      for (let i = 0; i < d; i++) {
        const ai = (v[i]! - m[i]!) / zs.length;
        for (let j = 0; j < d; j++) sw[i * d + j] = sw[i * d + j]! + ai * (v[j]! - m[j]!);
      }
    }
  }
  for (const m of means) {
    for (let i = 0; i < d; i++) {
      const ai = m[i]! - global[i]!;
      for (let j = 0; j < d; j++) sb[i * d + j] = sb[i * d + j]! + ai * (m[j]! - global[j]!);
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += sw[i * d + i]!;
  for (let i = 0; i < d; i++) sw[i * d + i] = sw[i * d + i]! * (1 - p.shrink) + (p.shrink * trace) / d;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) sw[i * d + j] = sw[i * d + j]! * (1 - p.shrink);

  // Whiten Sw, then diagonalise the whitened Sb: W = Uw Dw^-1/2 Ub[:, :dim].
  const ew = symmetricEigen(sw, d);
  const white = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) white[i * d + j] = ew.vectors[i * d + j]! / Math.sqrt(Math.max(ew.values[j]!, 1e-10));
  const sbw = matmul(matmul(transpose(white, d, d), sb, d, d, d), white, d, d, d);
  const eb = symmetricEigen(sbw, d);
  const ub = new Float64Array(d * p.dim);
  for (let i = 0; i < d; i++) for (let j = 0; j < p.dim; j++) ub[i * p.dim + j] = eb.vectors[i * d + j]!;
  const lda = matmul(white, ub, d, d, p.dim); // [d, dim]

  // Fold z-scoring and centring (on the projected background mean) into one affine map.
  const weight = new Float32Array(d * p.dim);
  for (let i = 0; i < d; i++) for (let j = 0; j < p.dim; j++) weight[i * p.dim + j] = lda[i * p.dim + j]! / sd[i]!;
  const center = matmul(global, lda, 1, d, p.dim); // mean of speaker means, in LDA space
  const bias = new Float32Array(p.dim);
  for (let j = 0; j < p.dim; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (mu[i]! / sd[i]!) * lda[i * p.dim + j]!;
    bias[j] = -s - center[j]!;
  }
  return { inputDim: d, outputDim: p.dim, weight, bias };
}

/**
 * Speaker-disjoint k-fold CV on background: held-out first half (clean) vs second half, both clean and after
 * an Opus round trip (the WAV-enrol / browser-verify case). Returns pooled scores.
 */
function crossValidate(utts: Utt[], p: Params, folds = 5): { genuine: number[]; impostor: number[] } {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let k = 0; k < folds; k++) {
    const train = utts.filter((_, i) => i % folds !== k);
    const test = utts.filter((_, i) => i % folds === k);
    const proj = trainProjection(train, p);
    const a = test.map((u) => projectStats(u.halves[0], proj));
    for (const second of [(u: Utt) => u.halves[1], (u: Utt) => u.codecHalf]) {
      const b = test.map((u) => projectStats(second(u), proj));
      for (let i = 0; i < test.length; i++) {
        for (let j = 0; j < test.length; j++) {
          const s = cosine(a[i]!, b[j]!);
          if (i === j) genuine.push(s);
          else impostor.push(s);
        }
      }
    }
  }
  return { genuine, impostor };
}

/**
 * The enrolment consistency threshold: the smallest cosine two clips of one enrolment may have before the
 * enrolment is refused as "not one speaker". Chosen on the same out-of-fold background scores as the decision
 * threshold: the largest multiple of 0.05 that refuses at most 2 % of same-speaker pairs (3 s halves, clean or
 * Opus). Same-speaker scores have a thin low tail (the 1st percentile is near 0), so a 1 % rule would let half
 * of different-speaker pairs through; 2 % catches about three quarters of them.
 */
function consistencyThreshold(cv: { genuine: number[]; impostor: number[] }) {
  const g = [...cv.genuine].sort((a, b) => a - b);
  const q = (p: number) => g[Math.floor(p * (g.length - 1))]!;
  const refused = (xs: number[], t: number) => xs.filter((x) => x < t).length / xs.length;
  const candidates = Array.from({ length: 11 }, (_, i) => i * 0.05);
  const threshold = Number(Math.max(...candidates.filter((t) => refused(cv.genuine, t) <= 0.02)).toFixed(2));
  for (const t of candidates) {
    console.log(`consistency ${t.toFixed(2)}: same-speaker pairs refused ${(100 * refused(cv.genuine, t)).toFixed(2)} %, different-speaker pairs refused ${(100 * refused(cv.impostor, t)).toFixed(2)} %`);
  }
  console.log(`same-speaker CV scores: min ${g[0]!.toFixed(3)}, 0.5 % ${q(0.005).toFixed(3)}, 1 % ${q(0.01).toFixed(3)}, 5 % ${q(0.05).toFixed(3)}, median ${q(0.5).toFixed(3)}`);
  const result = {
    threshold,
    rule: "largest multiple of 0.05 refusing at most 2 % of same-speaker pairs in the background cross-validation above",
    sameSpeakerRefused: Number(refused(cv.genuine, threshold).toFixed(4)),
    differentSpeakerRefused: Number(refused(cv.impostor, threshold).toFixed(4)),
  };
  console.log(`enrolment consistency threshold ${JSON.stringify(result)}`);
  return result;
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

async function main() {
  const search = process.argv.includes("--search");
  // VOICE_SEARCH_GRID='[[segFrames, dim, shrink], ...]' narrows --search to the listed points.
  const custom = process.env.VOICE_SEARCH_GRID
    ? (JSON.parse(process.env.VOICE_SEARCH_GRID) as [number, number, number][]).map(([segFrames, dim, shrink]) => ({ segFrames, dim, shrink }))
    : undefined;
  const segList = custom ? [...new Set(custom.map((p) => p.segFrames))] : search ? [100, 200, 300] : [200];
  const data = await loadBackground(segList);
  let best: { p: Params; eer: number } | undefined;
  const grid: Params[] = custom && search ? custom : search
    ? segList.flatMap((segFrames) => [40, 60, 100, 150].flatMap((dim) => [0.01, 0.05, 0.15].map((shrink) => ({ segFrames, dim, shrink }))))
    : [{ segFrames: 200, dim: 60, shrink: 0.05 }]; // chosen by --search (BENCHMARKS.md)
  for (const p of grid) {
    const cv = crossValidate(data.get(p.segFrames)!, p);
    const { eer } = computeEer(cv.genuine, cv.impostor);
    console.log(`cv seg=${p.segFrames} dim=${p.dim} shrink=${p.shrink}: EER ${(eer * 100).toFixed(2)} %`);
    if (!best || eer < best.eer) best = { p, eer };
  }
  const chosen = best!.p;
  const utts = data.get(chosen.segFrames)!;
  const cv = crossValidate(utts, chosen);
  const cvEer = computeEer(cv.genuine, cv.impostor);
  const thrFmr1 = thresholdAtFmr(cv.impostor, 0.01);
  console.log(`chosen ${JSON.stringify(chosen)}: CV EER ${(cvEer.eer * 100).toFixed(2)} % at ${cvEer.threshold.toFixed(4)}; FMR 1 % at ${thrFmr1.toFixed(4)}`, ratesAt(cv.genuine, cv.impostor, thrFmr1));
  if (search) return;
  const consistency = consistencyThreshold(cv);
  if (process.argv.includes("--consistency")) return;

  const proj = trainProjection(utts, chosen);
  const onnx = encodeOnnxModel({
    graphName: "voice_stats_lda",
    producer: "trustid-edge scripts/train-voice.mjs",
    opset: 13,
    docString: "log-mel [mean,std] stats (160) -> z-score + LDA + centring (folded MatMul/Add) -> L2 normalisation",
    inputs: [{ name: "stats", shape: ["N", STATS_DIM] }],
    outputs: [{ name: "embedding", shape: ["N", chosen.dim] }],
    initializers: [
      { name: "W", dims: [STATS_DIM, chosen.dim], data: proj.weight },
      { name: "B", dims: [chosen.dim], data: proj.bias },
    ],
    nodes: [
      { op: "MatMul", inputs: ["stats", "W"], outputs: ["projected"] },
      { op: "Add", inputs: ["projected", "B"], outputs: ["centred"] },
      { op: "LpNormalization", inputs: ["centred"], outputs: ["embedding"], attrs: { axis: -1, p: 2 } },
    ],
    metadata: { model_id: MODEL_ID, input: "kaldi-fbank80-povey-stats160", threshold: thrFmr1.toFixed(4) },
  });
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "voice-lda.onnx"), onnx);
  const meta = {
    modelId: MODEL_ID,
    kind: "stats-lda",
    file: "voice-lda.onnx",
    sha256: sha256(onnx),
    bytes: onnx.length,
    input: { name: "stats", dim: STATS_DIM, features: "Kaldi fbank 80 bins, povey window, 25/10 ms, VAD speech frames, per-bin mean then std" },
    output: { name: "embedding", dim: chosen.dim },
    training: { background: "../shared/data/voice/background", utterances: utts.length, ...chosen, folds: 5 },
    threshold: Number(thrFmr1.toFixed(4)),
    thresholdRule:
      "FMR 1 % on impostor pairs of 5-fold speaker-disjoint cross-validation on background (3 s halves, clean and Opus)",
    cv: {
      eer: Number(cvEer.eer.toFixed(4)),
      eerThreshold: Number(cvEer.threshold.toFixed(4)),
      fnmrAtThreshold: Number(ratesAt(cv.genuine, cv.impostor, thrFmr1).fnmr.toFixed(4)),
      genuine: cv.genuine.length,
      impostor: cv.impostor.length,
    },
    enrolConsistency: consistency,
  };
  writeFileSync(join(OUT_DIR, "voice-lda.json"), JSON.stringify(meta, null, 2) + "\n");
  writeFileSync(join(OUT_DIR, "VOICE.md"), voiceMd(meta));
  console.log(`wrote wasm-models/voice-lda.onnx (${onnx.length} bytes, sha256 ${meta.sha256})`);
  // Keep the JS reference projection's numbers for the ORT check in train-voice.mjs.
  const probe = utts.slice(0, 8).map((u) => Array.from(u.full));
  const expected = probe.map((x) => Array.from(projectStats(Float32Array.from(x), proj)));
  writeFileSync(join(OUT_DIR, ".voice-lda-probe.json"), JSON.stringify({ probe, expected }));
}

function voiceMd(meta: {
  modelId: string;
  sha256: string;
  bytes: number;
  threshold: number;
  thresholdRule: string;
  output: { dim: number };
  training: Params & { utterances: number };
  cv: { eer: number; eerThreshold: number; fnmrAtThreshold: number; genuine: number; impostor: number };
  enrolConsistency: { threshold: number; rule: string; sameSpeakerRefused: number; differentSpeakerRefused: number };
}): string {
  const t = meta.training;
  return `# Voice models

Generated by \`node scripts/train-voice.mjs\` (do not edit by hand; rerun the script).

## \`voice-lda.onnx\` — model id \`${meta.modelId}\`

| | |
|---|---|
| sha256 | \`${meta.sha256}\` |
| size | ${meta.bytes} bytes |
| graph | \`stats\` [N,160] -> MatMul -> Add -> LpNormalization(p=2) -> \`embedding\` [N,${meta.output.dim}] (opset 13) |
| input | per-bin mean then standard deviation of 80-bin Kaldi log-mel fbank (povey window, 25/10 ms, pre-emphasis 0.97, no dither, int16-scaled 16 kHz audio) over the VAD's speech frames (\`extractVoiceFeatures(...).stats\`) |
| training data | ../shared/data/voice/background: ${t.utterances} speakers, one 6 s utterance each, plus Opus round trips (${OPUS_KBPS.join(" and ")} kbps) of each |
| recipe | z-score against background -> LDA (within-speaker scatter from ${t.segFrames / 100} s segments with 50 % overlap and the Opus versions, shrinkage ${t.shrink}) to ${t.dim} dims -> centre -> L2; scoring is cosine |
| threshold | **${meta.threshold}** (accept when cosine >= threshold): ${meta.thresholdRule} |
| background CV | EER ${(meta.cv.eer * 100).toFixed(2)} % at ${meta.cv.eerThreshold}; at the threshold FMR 1 %, FNMR ${(meta.cv.fnmrAtThreshold * 100).toFixed(2)} % (${meta.cv.genuine} genuine / ${meta.cv.impostor} impostor pairs) |
| enrolment consistency | **${meta.enrolConsistency.threshold}**: an enrolment is refused when two of its clips have a cosine below it (${meta.enrolConsistency.rule}); in that cross-validation it refuses ${(meta.enrolConsistency.sameSpeakerRefused * 100).toFixed(2)} % of same-speaker and ${(meta.enrolConsistency.differentSpeakerRefused * 100).toFixed(2)} % of different-speaker pairs |

Hyper-parameters were chosen by \`node scripts/train-voice.mjs --search\` (the same cross-validation); the eval
speakers (../shared/data/voice/eval) are never read by the training script. Eval figures: BENCHMARKS.md.
Rerunning the script is deterministic and reproduces the sha256 above; it also runs the exported graph with
onnxruntime-web and fails if it differs from the JS projection by more than 1e-4. \`onnx.checker.check_model(...,
full_check=True)\` (Debian python3-onnx 1.12) accepts the file.

## Using a WeSpeaker-format model instead

Any WeSpeaker ONNX export (ResNet34, CAM++, ECAPA-TDNN; input \`feats\` [1,T,80] Kaldi fbank of 16 kHz audio,
hamming window, 25/10 ms, mean-normalised over the utterance; output \`embs\` [1,E]) drops in behind the same
interface:

1. Put the file under \`wasm-models/\` (e.g. \`wasm-models/voice-wespeaker.onnx\`); \`.onnx\` imports need the
   wrangler rule \`[[rules]] type = "Data", globs = ["**/*.onnx"]\` (or serve it from assets). Record its
   sha256 and origin here.
2. Calibrate a threshold on background data (never on eval):
   \`node bench/voice.mjs --model wasm-models/voice-wespeaker.onnx --kind wespeaker --id <model-id>\` prints the
   background EER point; rerun with \`--threshold <t>\` to get the eval figures at that threshold.
3. Build the embedder with \`createVoiceEmbedder(wespeakerModel({ modelId, bytes, threshold }), runOnnx)\`.
   Templates store their model id: templates enrolled with another model are refused
   (\`VoiceError("model_mismatch")\`) and students must re-enrol.

A 20-30 MB model is far slower than this projection (tens to hundreds of ms per clip on WASM) and needs the
paid plan's CPU limits; keep it in the inference Worker, not the API Worker.
`;
}

await main();
