// The calibration bench's statistics (the model bake-off scores its caches with the same code) and the face
// operating points it produced. No models or data here: bench/face-calibration.ts runs on the real photos.
import { describe, expect, it } from "vitest";
import { photoSet, scorePairs } from "../../bench/face-calibration/pairs";
import { fmrAt, fnmrAt, thresholdAtFmr, thresholdAtFmrUpperBound, wilson } from "../../bench/face-calibration/stats";
import { FACE_OPERATING_POINTS } from "../../src/biometrics/face/operating-points";
import { accepts } from "../../src/biometrics/security-level";

describe("calibration statistics", () => {
  it("Wilson interval: known values, and about 3-4/N when nothing failed", () => {
    const [lo, hi] = wilson(10, 100);
    expect(lo).toBeCloseTo(0.0552, 3);
    expect(hi).toBeCloseTo(0.1744, 3);
    expect(wilson(0, 10000)[1]).toBeCloseTo(3.84 / 10003.84, 6);
  });

  it("a threshold at a target FMR lets at most that share of impostor scores through (score >= threshold accepts)", () => {
    const impostor = Float32Array.from({ length: 10000 }, (_, i) => i / 10000).sort(); // 0 .. 0.9999
    const t = thresholdAtFmr(impostor, 1e-3);
    expect(fmrAt(impostor, t).errors).toBeLessThanOrEqual(10);
    expect(fmrAt(impostor, t - 0.001).errors).toBeGreaterThan(10); // the lowest such threshold on the 0.001 grid
    expect(thresholdAtFmrUpperBound(impostor, 1e-3)).toBeGreaterThanOrEqual(t);
    const genuine = Float32Array.from([0.2, 0.5, 0.9]);
    expect(fnmrAt(genuine, 0.5)).toMatchObject({ errors: 1, trials: 3 }); // 0.5 itself is accepted
  });

  it("pairs: same identity is genuine, different identities impostor; embeddings are re-normalised", () => {
    const items = [
      { file: "a1", identity: "a", embedding: [2, 0] },
      { file: "a2", identity: "a", embedding: [1, 1] },
      { file: "b1", identity: "b", embedding: [0, 3] },
      { file: "b2", identity: "b", embedding: null },
    ];
    const set = photoSet(items, ["a", "b"]);
    expect(set.failures).toEqual(["b2"]);
    const p = scorePairs(set);
    expect(Array.from(p.genuine)).toEqual([expect.closeTo(Math.SQRT1_2, 6)]);
    expect(Array.from(p.impostor).map((x) => +x.toFixed(6))).toEqual([0, +Math.SQRT1_2.toFixed(6)]);
  });
});

describe("face operating points", () => {
  it("decide on similarity; high is stricter than standard; measured rates are within their targets", () => {
    const { high, standard } = FACE_OPERATING_POINTS;
    expect(high.decideOn).toBe("similarity");
    expect(standard.decideOn).toBe("similarity");
    expect(high.threshold).toBeGreaterThan(standard.threshold);
    expect(high.measured.fmr.rate).toBeLessThanOrEqual(1e-4);
    expect(standard.measured.fmr.rate).toBeLessThanOrEqual(1e-3);
    // The impostor a tester found at 0.424 under the old single threshold (0.38) is refused at `high`.
    expect(accepts(high, 0.424)).toBe(false);
  });
});
