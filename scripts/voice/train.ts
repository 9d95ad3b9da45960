// Trains the voice projection on ../shared/data/voice/background and exports it as wasm-models/voice-lda.onnx.
// Run: `node scripts/train-voice.mjs` (bundles this file with esbuild, then runs it). Deterministic: no
// randomness anywhere; file order is sorted; rerunning gives byte-identical output.
//
// Recipe: per utterance, Kaldi fbank (80 log-mel) -> VAD speech frames -> [mean, std] per bin (160-d).
// The background set has ONE 6 s utterance per speaker, so within-speaker variation is taken from
// overlapping segments of each utterance. Stats are z-scored against the background, projected by LDA
// (between- vs within-speaker scatter, within-scatter shrunk toward its diagonal mean), centred, and
// length-normalised. The service scores two embeddings by PLDA (fitted here on the same background speakers,
// scripts/voice/plda.ts) normalised against the background cohort; the raw cosine stays in the model metadata
// for older callers and the enrolment consistency check. Hyper-parameters and the decision threshold come from 5-fold
// cross-validation over background speakers (held-out speakers: first half vs second half of their
// utterance). The eval set is never read here.
//
// Speed perturbation (model v2, issue 16): each background utterance is also resampled to 0.91x and 1.11x speed
// (pitch and formants move with it) and each copy counts as one more training speaker for the LDA and the PLDA
// (never for the cohort, never in a held-out fold), as Kaldi's x-vector recipes do to multiply speakers. Paired,
// cross-fitted comparison on three speaker partitions: bench/voice-plda.ts, BENCHMARKS.md.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { STATS_DIM } from "../../src/biometrics/voice/features";
import { cosine, projectStats } from "../../src/biometrics/voice/projection";
import { computeEer, thresholdAtFmr, ratesAt } from "./metrics";
import { encodeOnnxModel } from "./onnx-writer";
import { loadBackground, trainProjection, OPUS_KBPS, SPEED_RATES, type Params, type Utt } from "./lda";
import { fitVoicePlda } from "./plda";
import { VOICE_COHORT_TOP_K, VOICE_SCORING } from "../../src/biometrics/voice/cohort";

const repoRoot = process.env.VOICE_REPO_ROOT ? resolve(process.env.VOICE_REPO_ROOT) : process.cwd();
const OUT_DIR = resolve(repoRoot, "wasm-models");
export const MODEL_ID = "trustid-voice-lda-v2";

/**
 * Speaker-disjoint k-fold CV on background: held-out first half (clean) vs second half, both clean and after
 * an Opus round trip (the WAV-enrol / browser-verify case). Returns pooled scores.
 */
function crossValidate(utts: Utt[], p: Params, copies: Utt[][], folds = 5): { genuine: number[]; impostor: number[] } {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let k = 0; k < folds; k++) {
    const train = [utts, ...copies].flatMap((us) => us.filter((_, i) => i % folds !== k));
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

/**
 * The scoring file (src/biometrics/voice/score.ts, cohort.ts): the projected whole-utterance embedding of every
 * background speaker (the score-normalisation cohort) and the PLDA fitted on the same speakers, all as base64 of
 * little-endian float32 (compact, and exact to the bit).
 */
const b64 = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("base64");
function cohortFile(utts: Utt[], copies: Utt[][], proj: ReturnType<typeof trainProjection>, dim: number) {
  const flat = new Float32Array(utts.length * dim);
  utts.forEach((u, i) => flat.set(projectStats(u.full, proj), i * dim));
  const plda = fitVoicePlda([...utts, ...copies.flat()], proj);
  return {
    modelId: MODEL_ID,
    scoring: SCORING,
    source: "../shared/data/voice/background (one embedding per speaker, whole 6 s utterance, clean; PLDA on 2 s segments and 3 s halves, clean and Opus, of the speakers and of their 0.91x and 1.11x speed-perturbed copies)",
    dim,
    count: utts.length,
    topK: VOICE_COHORT_TOP_K,
    float32Base64: b64(flat),
    plda: { mean: b64(plda.mean), transform: b64(plda.transform), psi: b64(plda.psi) },
  };
}
/** What the service decides on: PLDA log-likelihood ratio, AS-normalised (top K) against the cohort. */
const SCORING = VOICE_SCORING;

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
  const perturbed = await Promise.all(SPEED_RATES.map((r) => loadBackground(segList, r)));
  const copiesFor = (seg: number) => perturbed.map((m) => m.get(seg)!);
  let best: { p: Params; eer: number } | undefined;
  const grid: Params[] = custom && search ? custom : search
    ? segList.flatMap((segFrames) => [40, 60, 100, 150].flatMap((dim) => [0.01, 0.05, 0.15].map((shrink) => ({ segFrames, dim, shrink }))))
    : [{ segFrames: 200, dim: 60, shrink: 0.05 }]; // chosen by --search (BENCHMARKS.md)
  for (const p of grid) {
    const cv = crossValidate(data.get(p.segFrames)!, p, copiesFor(p.segFrames));
    const { eer } = computeEer(cv.genuine, cv.impostor);
    console.log(`cv seg=${p.segFrames} dim=${p.dim} shrink=${p.shrink}: EER ${(eer * 100).toFixed(2)} %`);
    if (!best || eer < best.eer) best = { p, eer };
  }
  const chosen = best!.p;
  const utts = data.get(chosen.segFrames)!;
  const copies = copiesFor(chosen.segFrames);
  const cv = crossValidate(utts, chosen, copies);
  const cvEer = computeEer(cv.genuine, cv.impostor);
  const thrFmr1 = thresholdAtFmr(cv.impostor, 0.01);
  console.log(`chosen ${JSON.stringify(chosen)}: CV EER ${(cvEer.eer * 100).toFixed(2)} % at ${cvEer.threshold.toFixed(4)}; FMR 1 % at ${thrFmr1.toFixed(4)}`, ratesAt(cv.genuine, cv.impostor, thrFmr1));
  if (search) return;
  const consistency = consistencyThreshold(cv);
  if (process.argv.includes("--consistency")) return;

  const proj = trainProjection([...utts, ...copies.flat()], chosen);
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
    training: { background: "../shared/data/voice/background", utterances: utts.length, speedPerturbedRates: SPEED_RATES, ...chosen, folds: 5 },
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
  // The scoring file changes decisions as much as the weights do: pin it too.
  const cohortJson = JSON.stringify(cohortFile(utts, copies, proj, chosen.dim)) + "\n";
  const scoring = { file: "voice-cohort.json", scoring: SCORING, sha256: sha256(Buffer.from(cohortJson)) };
  writeFileSync(join(OUT_DIR, "voice-lda.json"), JSON.stringify({ ...meta, scoring }, null, 2) + "\n");
  writeFileSync(join(OUT_DIR, "voice-cohort.json"), cohortJson);
  writeFileSync(join(OUT_DIR, "VOICE.md"), voiceMd({ ...meta, scoring }));
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
  scoring: { file: string; scoring: string; sha256: string };
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
| training data | ../shared/data/voice/background: ${t.utterances} speakers, one 6 s utterance each, plus Opus round trips (${OPUS_KBPS.join(" and ")} kbps) of each, plus each utterance speed-perturbed to 0.91x and 1.11x (resampled to ${SPEED_RATES.join(" and ")} Hz, read as 16 kHz) as ${SPEED_RATES.length * t.utterances} more training speakers for the LDA and the PLDA (not the cohort) |
| recipe | z-score against background -> LDA (within-speaker scatter from ${t.segFrames / 100} s segments with 50 % overlap and the Opus versions, shrinkage ${t.shrink}) to ${t.dim} dims -> centre -> L2; the service scores by PLDA + AS-norm (scoring below), the threshold below is the plain cosine's |
| threshold | **${meta.threshold}** (accept when cosine >= threshold): ${meta.thresholdRule} |
| background CV | EER ${(meta.cv.eer * 100).toFixed(2)} % at ${meta.cv.eerThreshold}; at the threshold FMR 1 %, FNMR ${(meta.cv.fnmrAtThreshold * 100).toFixed(2)} % (${meta.cv.genuine} genuine / ${meta.cv.impostor} impostor pairs) |
| scoring | \`${meta.scoring.file}\` (sha256 \`${meta.scoring.sha256}\`), scoring \`${meta.scoring.scoring}\`: a two-covariance PLDA fitted on the ${meta.training.utterances} background speakers' (and their speed-perturbed copies') projected ${t.segFrames / 100} s segments and 3 s halves (clean and Opus; scripts/voice/plda.ts), stored diagonalised (mean, transform, between-speaker variances), and the projected whole-utterance embedding of each background speaker (base64 float32); \`scoreVoice\` (src/biometrics/voice/score.ts) scores template and probe by the PLDA log-likelihood ratio and normalises it against that cohort (adaptive s-norm, top ${VOICE_COHORT_TOP_K}); the security levels threshold that normalised score (src/biometrics/voice/operating-points.ts, \`npx tsx bench/voice-levels.ts\`), the raw-cosine threshold above is kept for older callers |
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
