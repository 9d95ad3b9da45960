// Cohort-normalised voice scoring (score.ts), the shipped cohort (cohort.ts) and the voice security levels.
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { runOnnxNode } from "../../scripts/voice/ort-node";
import { accepts } from "../../src/biometrics/security-level";
import { parseVoiceCohort, voiceCohort, VOICE_COHORT_TOP_K } from "../../src/biometrics/voice/cohort";
import { createVoiceEmbedder } from "../../src/biometrics/voice/embedder";
import { DEFAULT_VOICE_MODEL_ID, voiceLdaModel } from "../../src/biometrics/voice/model";
import { VOICE_OPERATING_POINTS, VOICE_OPERATING_POINTS_MODEL_ID } from "../../src/biometrics/voice/operating-points";
import { cohortStats, pldaLlr, pldaSpace, scoreVoice, type VoiceCohort } from "../../src/biometrics/voice/score";
import { VOICE_LDA_META } from "../../src/biometrics/voice/model";
import { createHash } from "node:crypto";
import { enrolVoice, analyseClip } from "../../src/biometrics/voice/voice";
import { evalClip, hasData, loadOpus } from "./voice-helpers";

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

describe("scoreVoice", () => {
  const cohort: VoiceCohort = { modelId: "t", dim: 3, topK: 2, embeddings: [unit([1, 0, 0]), unit([0, 1, 0]), unit([0, 0, 1]), unit([1, 1, 0])] };

  it("returns the cosine as raw and the symmetric top-K normalisation", () => {
    const t = unit([1, 0.2, 0]);
    const p = unit([0.9, 0.1, 0.3]);
    const s = scoreVoice(t, p, cohort);
    const raw = t.reduce((a, x, i) => a + x * p[i]!, 0);
    expect(s.raw).toBeCloseTo(raw, 6);
    // By hand: top-2 cohort cosines of each side, sample standard deviation.
    const stats = (e: Float32Array) => {
      const c = cohort.embeddings.map((x) => x.reduce((a, v, i) => a + v * e[i]!, 0)).sort((a, b) => b - a).slice(0, 2);
      const m = (c[0]! + c[1]!) / 2;
      return { m, sd: Math.abs(c[0]! - c[1]!) / Math.SQRT2 };
    };
    const a = stats(t), b = stats(p);
    expect(s.normalised).toBeCloseTo(((raw - a.m) / a.sd + (raw - b.m) / b.sd) / 2, 5);
  });

  it("gives the same score with the template's cohort statistics computed in advance", () => {
    const t = unit([0.3, 0.5, 0.1]);
    const p = unit([0.2, 0.6, 0.3]);
    expect(scoreVoice(t, p, cohort, cohortStats(t, cohort))).toEqual(scoreVoice(t, p, cohort));
  });

  it("refuses embeddings of another size", () => {
    expect(() => scoreVoice([1, 0], [1, 0], cohort)).toThrow(RangeError);
  });

  it("parses a packed cohort back to the same numbers", () => {
    const flat = Float32Array.from([0.5, -0.25, 1, 0, 0.125, 2]);
    const c = parseVoiceCohort({ modelId: "m", dim: 3, count: 2, topK: 1, float32Base64: Buffer.from(flat.buffer).toString("base64") });
    expect(c.embeddings.map((e) => Array.from(e))).toEqual([[0.5, -0.25, 1], [0, 0.125, 2]]);
    expect(() => parseVoiceCohort({ modelId: "m", dim: 4, count: 2, topK: 1, float32Base64: Buffer.from(flat.buffer).toString("base64") })).toThrow(RangeError);
  });
});

describe("PLDA scoring", () => {
  // log N(v; 0, S) for a 2 x 2 covariance S.
  const logN2 = (x: number, y: number, a: number, b: number) => {
    const det = a * a - b * b;
    return -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - (0.5 * (a * x * x - 2 * b * x * y + a * y * y)) / det;
  };
  const logN1 = (x: number, v: number) => -0.5 * Math.log(2 * Math.PI * v) - (0.5 * x * x) / v;

  it("is the same-vs-different-speaker log-likelihood ratio of the two-covariance model", () => {
    const psi = [3, 0.5];
    const x = [0.7, -1.2];
    const y = [0.4, 0.9];
    // Same speaker: (x_i, y_i) ~ N(0, [[1+p, p], [p, 1+p]]); different: independent N(0, 1+p).
    let expected = 0;
    for (let i = 0; i < 2; i++) expected += logN2(x[i]!, y[i]!, 1 + psi[i]!, psi[i]!) - logN1(x[i]!, 1 + psi[i]!) - logN1(y[i]!, 1 + psi[i]!);
    expect(pldaLlr(x, y, psi)).toBeCloseTo(expected, 10);
    expect(pldaLlr(y, x, psi)).toBeCloseTo(expected, 10);
  });

  it("normalises the PLDA ratio, not the cosine, when the cohort has a PLDA", () => {
    const plda = { mean: Float32Array.from([0.1, 0, 0]), transform: Float32Array.from([2, 0, 0, 0, 1, 0, 0, 0, 0.5]), psi: Float32Array.from([4, 1, 0.2]) };
    const base: VoiceCohort = { modelId: "t", dim: 3, topK: 2, embeddings: [unit([1, 0, 0]), unit([0, 1, 0]), unit([0, 0, 1]), unit([1, 1, 0])] };
    const cohort = { ...base, plda };
    const t = unit([1, 0.2, 0]);
    const p = unit([0.9, 0.1, 0.3]);
    const u = pldaSpace(t, plda); // (t - mean) T
    [2 * (t[0]! - 0.1), t[1]!, 0.5 * t[2]!].forEach((v, i) => expect(u[i]).toBeCloseTo(v, 6));
    const llr = (a: Float32Array, b: Float32Array) => pldaLlr(pldaSpace(a, plda), pldaSpace(b, plda), plda.psi);
    const stats = (e: Float32Array) => {
      const c = base.embeddings.map((x) => llr(e, x)).sort((a, b) => b - a).slice(0, 2);
      return { m: (c[0]! + c[1]!) / 2, sd: Math.abs(c[0]! - c[1]!) / Math.SQRT2 };
    };
    const s = scoreVoice(t, p, cohort);
    const a = stats(t), b = stats(p);
    const r = llr(t, p);
    expect(s.normalised).toBeCloseTo(((r - a.m) / a.sd + (r - b.m) / b.sd) / 2, 5);
    expect(s.raw).toBeCloseTo(scoreVoice(t, p, base).raw, 10); // raw stays the cosine
    expect(scoreVoice(t, p, cohort, cohortStats(t, cohort))).toEqual(s);
  });

  it("parses a packed PLDA and refuses one of the wrong size", () => {
    const f = (xs: number[]) => Buffer.from(Float32Array.from(xs).buffer).toString("base64");
    const json = { modelId: "m", dim: 2, count: 1, topK: 1, float32Base64: f([1, 0]), plda: { mean: f([0.5, 0]), transform: f([1, 0, 0, 1]), psi: f([2, 1]) } };
    expect(Array.from(parseVoiceCohort(json).plda!.psi)).toEqual([2, 1]);
    expect(() => parseVoiceCohort({ ...json, plda: { ...json.plda, transform: f([1, 0, 0]) } })).toThrow(RangeError);
  });
});

describe("shipped cohort and operating points", () => {
  it("is the scoring file voice-lda.json pins, with its PLDA", () => {
    const file = readFileSync("wasm-models/voice-cohort.json");
    expect(createHash("sha256").update(file).digest("hex")).toBe(VOICE_LDA_META.scoring.sha256);
    const c = voiceCohort();
    expect(c.plda?.psi).toHaveLength(c.dim);
    expect(c.plda?.transform).toHaveLength(c.dim * c.dim);
  });

  it("belong to the shipped model", () => {
    const c = voiceCohort();
    expect(c.modelId).toBe(DEFAULT_VOICE_MODEL_ID);
    expect(VOICE_OPERATING_POINTS_MODEL_ID).toBe(DEFAULT_VOICE_MODEL_ID);
    expect(c.embeddings).toHaveLength(251);
    expect(c.topK).toBe(VOICE_COHORT_TOP_K);
    for (const e of c.embeddings) expect(Math.hypot(...e)).toBeCloseTo(1, 4);
  });

  it("decide on the similarity side, high stricter than standard", () => {
    expect(VOICE_OPERATING_POINTS.high.decideOn).toBe("similarity");
    expect(VOICE_OPERATING_POINTS.standard.decideOn).toBe("similarity");
    expect(VOICE_OPERATING_POINTS.high.threshold).toBeGreaterThan(VOICE_OPERATING_POINTS.standard.threshold);
  });
});

const MODEL = "wasm-models/voice-lda.onnx";
describe.skipIf(!hasData || !existsSync(MODEL))("normalised scores on held-out eval speakers", () => {
  beforeAll(loadOpus);
  const embedder = createVoiceEmbedder(voiceLdaModel(new Uint8Array(readFileSync(MODEL))), runOnnxNode);
  const embed = async (bytes: Uint8Array) => {
    const { audio, features } = await analyseClip(bytes);
    return embedder.embed(features, audio.samples);
  };

  it("accepts the enrolled speaker and rejects another one at the high level", async () => {
    const template = await enrolVoice([0, 1, 2].map((i) => evalClip("1688", i)), embedder);
    const same = scoreVoice(template.embedding, await embed(evalClip("1688", 5)), voiceCohort());
    const other = scoreVoice(template.embedding, await embed(evalClip("2033", 5)), voiceCohort());
    expect(accepts(VOICE_OPERATING_POINTS.high, same.normalised)).toBe(true);
    expect(accepts(VOICE_OPERATING_POINTS.standard, other.normalised)).toBe(false);
  });
});

describe("decideVoice / averageProbes", () => {
  it("decides on the normalised score at the level's threshold", async () => {
    const { decideVoice } = await import("../../src/biometrics/voice/decide");
    const c = voiceCohort();
    const t = c.embeddings[0]!;
    const same = decideVoice(t, t, "high");
    expect(same.raw).toBeCloseTo(1, 5);
    expect(same.threshold).toBe(VOICE_OPERATING_POINTS.high.threshold);
    expect(same.isMatch).toBe(true);
    const other = decideVoice(t, c.embeddings[1]!, "standard");
    expect(other.isMatch).toBe(other.normalised >= VOICE_OPERATING_POINTS.standard.threshold);
  });

  it("averages clip embeddings into one unit vector", async () => {
    const { averageProbes } = await import("../../src/biometrics/voice/decide");
    const m = averageProbes([unit([1, 0, 0]), unit([0, 1, 0])]);
    expect(Array.from(m).map((x) => Number(x.toFixed(6)))).toEqual([0.707107, 0.707107, 0]);
    expect(() => averageProbes([])).toThrow(RangeError);
  });
});
