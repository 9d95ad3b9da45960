// Experiment (issue 16): a learned speaker embedding trained in the repo on the background speakers, compared with
// the LDA projection under the same 5-fold speaker-disjoint cross-validation (bench/voice-scores.ts protocol:
// 3 s enrolment vs 3 s probe, clean and Opus; cohort normalisation with the fold's training speakers).
//   npx tsx bench/voice-learned.ts      # ~3-5 min on 2 busy cores; prints EER and FNMR at FMR 0.5 / 1 / 2 %
// Network: z-scored 160-d statistics -> 256 ReLU -> 64 linear -> L2 -> cosine softmax over the training
// speakers (scale 16, additive margin 0.2), trained with Adam on the 2 s segment statistics (clean + Opus) that
// the LDA also learns from. Deterministic (seeded initialisation, fixed batch order).
import { computeEer } from "../scripts/voice/metrics";
import { trainProjection, type Utt } from "../scripts/voice/lda";
import { projectStats } from "../src/biometrics/voice/projection";
import { scoreVoice, cohortStats, type VoiceCohort } from "../src/biometrics/voice/score";
import { VOICE_COHORT_TOP_K } from "../src/biometrics/voice/cohort";
import { backgroundUtts } from "./voice-data";
import { fnmrAt, thresholdForFmr } from "./rates";
import { LDA_PARAMS } from "./voice-scores";

const H = 256, E = 64, SCALE = 16, MARGIN = 0.2, EPOCHS = Number(process.env.EPOCHS ?? 40), LR = 1e-3, BATCH = 32, WD = 1e-4;
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) + 1) / 4294967297;
const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());

class Param {
  m: Float64Array; v: Float64Array; g: Float64Array;
  constructor(public w: Float64Array) { this.m = new Float64Array(w.length); this.v = new Float64Array(w.length); this.g = new Float64Array(w.length); }
  step(t: number) {
    for (let i = 0; i < this.w.length; i++) {
      const g = this.g[i]! + WD * this.w[i]!;
      this.m[i] = 0.9 * this.m[i]! + 0.1 * g;
      this.v[i] = 0.999 * this.v[i]! + 0.001 * g * g;
      this.w[i]! -= (LR * (this.m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(this.v[i]! / (1 - 0.999 ** t)) + 1e-8);
      this.g[i] = 0;
    }
  }
}
const init = (n: number, fanIn: number) => Float64Array.from({ length: n }, () => gauss() * Math.sqrt(2 / fanIn));

function train(utts: Utt[]) {
  const D = 160, C = utts.length;
  const mu = new Float64Array(D), sd = new Float64Array(D);
  const samples: { x: Float64Array; y: number }[] = [];
  utts.forEach((u, y) => u.segments.forEach((s) => samples.push({ x: Float64Array.from(s), y })));
  for (const s of samples) for (let i = 0; i < D; i++) mu[i]! += s.x[i]! / samples.length;
  for (const s of samples) for (let i = 0; i < D; i++) sd[i]! += (s.x[i]! - mu[i]!) ** 2 / samples.length;
  for (let i = 0; i < D; i++) sd[i] = Math.sqrt(sd[i]!) + 1e-6;
  const z = (x: Float32Array | Float64Array) => Float64Array.from(x, (v, i) => (v - mu[i]!) / sd[i]!);
  for (const s of samples) s.x = z(s.x);
  const W1 = new Param(init(D * H, D)), b1 = new Param(new Float64Array(H));
  const W2 = new Param(init(H * E, H)), b2 = new Param(new Float64Array(E));
  const Wc = new Param(init(E * C, E));
  const forward = (x: Float64Array) => {
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) h[j] = b1.w[j]!;
    for (let i = 0; i < D; i++) { const xi = x[i]!; if (xi === 0) continue; for (let j = 0; j < H; j++) h[j]! += xi * W1.w[i * H + j]!; }
    const a = h.map((v) => (v > 0 ? v : 0));
    const e = new Float64Array(E);
    for (let j = 0; j < E; j++) e[j] = b2.w[j]!;
    for (let i = 0; i < H; i++) { const ai = a[i]!; if (ai === 0) continue; for (let j = 0; j < E; j++) e[j]! += ai * W2.w[i * E + j]!; }
    return { h, a, e };
  };
  let t = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const order = samples.map((_, i) => i).sort(() => rnd() - 0.5);
    let loss = 0;
    for (let b0 = 0; b0 < order.length; b0 += BATCH) {
      // Normalised class weights for this step.
      const cn = new Float64Array(C);
      for (let c = 0; c < C; c++) { let s = 0; for (let k = 0; k < E; k++) s += Wc.w[k * C + c]! ** 2; cn[c] = Math.sqrt(s) + 1e-12; }
      const batch = order.slice(b0, b0 + BATCH);
      for (const idx of batch) {
        const { x, y } = samples[idx]!;
        const { h, a, e } = forward(x);
        const en = Math.sqrt(e.reduce((s, v) => s + v * v, 0)) + 1e-12;
        const u = e.map((v) => v / en);
        const cos = new Float64Array(C);
        for (let c = 0; c < C; c++) { let s = 0; for (let k = 0; k < E; k++) s += u[k]! * Wc.w[k * C + c]!; cos[c] = s / cn[c]!; }
        const logits = cos.map((v, c) => SCALE * (c === y ? v - MARGIN : v));
        const mx = Math.max(...logits);
        const ex = logits.map((v) => Math.exp(v - mx));
        const sum = ex.reduce((p, q) => p + q, 0);
        loss += -Math.log(ex[y]! / sum);
        const dcos = ex.map((v, c) => (SCALE * (v / sum - (c === y ? 1 : 0))) / batch.length);
        // d/du and d/dWc of cos_c = u . w_c / |w_c|
        const du = new Float64Array(E);
        for (let c = 0; c < C; c++) {
          const g = dcos[c]!; if (g === 0) continue;
          for (let k = 0; k < E; k++) {
            const wn = Wc.w[k * C + c]! / cn[c]!;
            du[k]! += g * wn;
            Wc.g[k * C + c]! += (g * (u[k]! - cos[c]! * wn)) / cn[c]!;
          }
        }
        // through L2 normalisation: de = (du - u (u . du)) / |e|
        const ud = u.reduce((s, v, k) => s + v * du[k]!, 0);
        const de = du.map((v, k) => (v - u[k]! * ud) / en);
        for (let j = 0; j < E; j++) b2.g[j]! += de[j]!;
        const da = new Float64Array(H);
        for (let i = 0; i < H; i++) { const ai = a[i]!; let s = 0; for (let j = 0; j < E; j++) { if (ai) W2.g[i * E + j]! += ai * de[j]!; s += W2.w[i * E + j]! * de[j]!; } da[i] = h[i]! > 0 ? s : 0; }
        for (let j = 0; j < H; j++) b1.g[j]! += da[j]!;
        for (let i = 0; i < D; i++) { const xi = x[i]!; for (let j = 0; j < H; j++) W1.g[i * H + j]! += xi * da[j]!; }
      }
      t++;
      for (const p of [W1, b1, W2, b2, Wc]) p.step(t);
    }
    if (epoch % 10 === 9 || epoch === EPOCHS - 1) console.log(`  epoch ${epoch + 1}: loss ${(loss / samples.length).toFixed(3)}`);
  }
  return (x: Float32Array) => {
    const e = forward(z(x)).e;
    const n = Math.sqrt(e.reduce((s, v) => s + v * v, 0)) || 1;
    return Float32Array.from(e, (v) => v / n);
  };
}

async function main() {
  const bg = await backgroundUtts();
  const res: Record<string, { g: number[]; i: number[] }> = { "LDA raw": { g: [], i: [] }, "LDA AS-norm": { g: [], i: [] }, "MLP raw": { g: [], i: [] }, "MLP AS-norm": { g: [], i: [] } };
  for (let k = 0; k < 5; k++) {
    const tr = bg.filter((_, i) => i % 5 !== k), te = bg.filter((_, i) => i % 5 === k);
    console.log(`fold ${k}: training the MLP on ${tr.length} speakers`);
    const mlp = train(tr);
    const proj = trainProjection(tr, LDA_PARAMS);
    for (const [name, f] of [["LDA", (x: Float32Array) => projectStats(x, proj)], ["MLP", mlp]] as const) {
      const cohort: VoiceCohort = { modelId: name, dim: f(tr[0]!.full).length, topK: VOICE_COHORT_TOP_K, embeddings: tr.map((u) => f(u.full)) };
      const en = te.map((u) => f(u.halves[0]));
      const st = en.map((e) => cohortStats(e, cohort));
      for (const second of [(u: Utt) => u.halves[1], (u: Utt) => u.codecHalf]) {
        const pr = te.map((u) => f(second(u)));
        for (let i = 0; i < te.length; i++) for (let j = 0; j < te.length; j++) {
          const s = scoreVoice(en[i]!, pr[j]!, cohort, st[i]);
          res[`${name} raw`]![i === j ? "g" : "i"].push(s.raw);
          res[`${name} AS-norm`]![i === j ? "g" : "i"].push(s.normalised);
        }
      }
    }
  }
  for (const [name, { g, i }] of Object.entries(res)) {
    const at = (f: number) => `${((100 * fnmrAt(g, thresholdForFmr(i, f))) / g.length).toFixed(2)} %`;
    console.log(`${name}: EER ${(100 * computeEer(g, i).eer).toFixed(2)} %; FNMR at FMR 0.5 % ${at(0.005)}, 1 % ${at(0.01)}, 2 % ${at(0.02)} (${g.length}/${i.length})`);
  }
}

await main();
