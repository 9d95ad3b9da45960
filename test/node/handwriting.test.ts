import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DESCRIPTOR_COUNT, DESCRIPTOR_NAMES, POPULATION_SPREAD, signatureDescriptors } from "../../src/biometrics/handwriting/descriptors";
import { dtw, featureSeq, resample } from "../../src/biometrics/handwriting/features";
import { WALLET_LIMITS } from "../../src/routes/biometrics/wallet-schemas";
import { sealWalletTemplate, type WalletClaims } from "../../src/templates/seal/wallet-export";
import { directMatches, stabilityWeights, weightedDtw } from "../../src/biometrics/handwriting/stability";
import {
  BiometricInputError,
  DEFAULT_HANDWRITING_PARAMS,
  enrollHandwriting,
  enrollHandwritingReferences,
  handwritingReference,
  HANDWRITING_LIMITS,
  HANDWRITING_MAX_REFERENCES,
  HANDWRITING_MAX_TOTAL_POINTS,
  HANDWRITING_MIN_REFERENCES,
  newestReferencesWithinBudget,
  HANDWRITING_OPERATING_POINTS,
  HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE,
  HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE_PEN_LIFT,
  HANDWRITING_PARAMS_WITHOUT_PRESSURE,
  handwritingOperatingPoint,
  parseTrajectory,
  verifyHandwriting,
  isHandwritingModel,
  type PenTrajectory,
} from "../../src/biometrics/handwriting";

const ROOT = new URL("../../../shared/data/handwriting/mcyt-online/", import.meta.url);
const file = (rel: string) => readFileSync(new URL(rel, ROOT), "utf8");
const id = (n: number) => String(n).padStart(3, "0");
const enrolment = (w: number) => [1, 2, 3, 4, 5].map((k) => parseTrajectory(file(`enrollment/${id(w)}-g-0${k}.txt`)));
const gt = file("gt.txt").trim().split(/\r?\n/).map((l) => l.trim().split(/\s+/) as [string, string]);

function expectInputError(fn: () => unknown, pattern: RegExp, field = "biometric_data") {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BiometricInputError);
    expect((e as BiometricInputError).field).toBe(field);
    expect((e as BiometricInputError).message).toMatch(pattern);
    return;
  }
  throw new Error("expected a BiometricInputError");
}

/** A synthetic loop signature: `wobble` changes the shape, `slow` the speed. */
function synthetic(wobble: number, slow = 1, pressure = true): PenTrajectory {
  const t: number[] = [];
  const x: number[] = [];
  const y: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < 120 * slow; i++) {
    const u = i / slow;
    t.push(i * 10);
    x.push(u + 10 * Math.sin(u / 7 + wobble));
    y.push(20 * Math.cos(u / 5) + wobble * Math.sin(u / 3));
    p.push(100 + 50 * Math.sin(u / 11));
  }
  return { t, x, y, pressure: pressure ? p : p.map(() => 1), hasPressure: pressure };
}

const opts = { field: "biometric_data" };

describe("pen trajectory parser", () => {
  it("reads the shared data's rows (t in seconds becomes ms)", () => {
    const tr = parseTrajectory(file("enrollment/001-g-01.txt"));
    expect(tr.t).toHaveLength(103);
    expect(tr.t[1]).toBeCloseTo(10, 6);
    expect(tr.x[0]).toBe(17.44);
    expect(tr.pressure[1]).toBe(146);
    expect(tr.hasPressure).toBe(true);
    // A CSV header line is skipped (a probe's `t,x,y,pressure` was "row 1, field 1: "t" is not a finite number").
    const csv = file("enrollment/001-g-01.txt").trim().split(/\r?\n/).map((l) => l.trim().split(/\s+/).join(",")).join("\n");
    expect(parseTrajectory(`t,x,y,pressure,penup,azimuth,inclination\n${csv}`)).toEqual(parseTrajectory(csv));
    expect(parseTrajectory(`"t","x","y","pressure"\n0,1,2,3\n100,2,3,4\n200,3,4,5`).x).toEqual([1, 2, 3]);
    expect(() => parseTrajectory(`t,x,y,pressure\nt,x,y,pressure\n0,1,2,3`)).toThrow(BiometricInputError);
    // A decimal-comma locale's spreadsheet CSV (`;` between fields) reads as the same signature (a probe's was misread).
    const european = file("enrollment/001-g-01.txt").trim().split(/\r?\n/).map((l) => l.trim().split(/\s+/).join(";").replaceAll(".", ",")).join("\n");
    expect(european).toContain(";17,4400;");
    expect(parseTrajectory(`t;x;y;pressure\n${european}`)).toEqual(tr);
  });

  it("reads JSON points, {points}, arrays of arrays and parsed values", () => {
    const pts = [
      { t: 0, x: 1, y: 2, pressure: 0.5 },
      { t: 80, x: 2, y: 3, pressure: 0.6 },
      { t: 160, x: 4, y: 3, pressure: 0.4 },
    ];
    const a = parseTrajectory(JSON.stringify(pts), opts);
    expect(a).toEqual({ t: [0, 80, 160], x: [1, 2, 4], y: [2, 3, 3], pressure: [0.5, 0.6, 0.4], hasPressure: true });
    expect(parseTrajectory({ points: pts }, opts)).toEqual(a);
    expect(parseTrajectory(pts.map((q) => [q.t, q.x, q.y, q.pressure]), opts)).toEqual(a);
    const noPressure = parseTrajectory(pts.map(({ t, x, y }) => ({ t, x, y })), opts);
    expect(noPressure.hasPressure).toBe(false);
    expect(noPressure.pressure).toEqual([1, 1, 1]);
    // Browser timestamps (performance.now) start anywhere; equal timestamps are allowed.
    expect(parseTrajectory([[1000.5, 0, 0], [1000.5, 1, 1], [1200, 2, 1]], opts).t).toEqual([0, 0, 199.5]);
  });

  it("takes one pressure for every pen-down point (a browser's mouse or finger) as no pressure, keeping the pen-down points", () => {
    // PointerEvent.pressure: 0.5 while a mouse button is down, 0 while it hovers.
    const mouse = [
      { t: 0, x: 1, y: 2, pressure: 0.5 },
      { t: 40, x: 2, y: 3, pressure: 0.5 },
      { t: 80, x: 3, y: 3, pressure: 0 },
      { t: 120, x: 5, y: 2, pressure: 0.5 },
      { t: 160, x: 6, y: 1, pressure: 0.5 },
    ];
    expect(parseTrajectory(mouse, opts)).toEqual({ t: [0, 40, 120, 160], x: [1, 2, 5, 6], y: [2, 3, 2, 1], pressure: [1, 1, 1, 1], hasPressure: false });
    expect(parseTrajectory("0 1 1 1\n0.1 2 2 1\n0.2 3 1 1", opts).hasPressure).toBe(false);
    // Pressure that varies is a measurement; all zero is still "the pen never touches"; negative is still refused.
    expect(parseTrajectory(mouse.map((q, i) => ({ ...q, pressure: q.pressure && 0.4 + i / 100 })), opts).hasPressure).toBe(true);
    expectInputError(() => parseTrajectory(mouse.map((q) => ({ ...q, pressure: 0 })), opts), /never touches/);
    expectInputError(() => parseTrajectory(mouse.map((q, i) => ({ ...q, pressure: i === 2 ? -1 : 0.5 })), opts), /negative/);
  });

  it("rejects empty, one-point, NaN, backwards and oversized trajectories with the field name", () => {
    expectInputError(() => parseTrajectory("", opts), /empty/);
    expectInputError(() => parseTrajectory([], opts), /empty/);
    expectInputError(() => parseTrajectory({ points: [] }, opts), /empty/);
    expectInputError(() => parseTrajectory([{ t: 0, x: 1, y: 1, pressure: 1 }], opts), /single point/);
    expectInputError(() => parseTrajectory("0 1 1 1", opts), /single point/);
    expectInputError(() => parseTrajectory("0 1 1 1\n0.01 NaN 1 1", opts), /row 2, field 2.*not a finite number/);
    expectInputError(() => parseTrajectory("0 1 1 1\n0.01 0x10 1 1", opts), /row 2, field 2.*"0x10" is not a finite number/);
    expectInputError(() => parseTrajectory([[0, 1, 1], [10, "0b11", 2]], opts), /point 2\[1\].*not a finite number/);
    expectInputError(() => parseTrajectory("42", opts), /row 1 has 1 fields/);
    expect(parseTrajectory("0 +1.5 .5 1\n100 -2. 1e1 1E0", opts).x).toEqual([1.5, -2]);
    expectInputError(() => parseTrajectory([{ t: 0, x: 1, y: 1 }, { t: 5, x: null, y: 1 }], opts), /point 2\.x/);
    expectInputError(() => parseTrajectory([{ t: 10, x: 1, y: 1 }, { t: 5, x: 2, y: 1 }], opts), /time goes backwards at point 2/);
    expectInputError(() => parseTrajectory([{ t: 0, x: 1, y: 1, pressure: -1 }, { t: 5, x: 2, y: 1, pressure: 1 }], opts), /pressure is negative/);
    // Values no pen gives would overflow the engine's sums of squares (a NaN score): refused as input.
    expectInputError(() => parseTrajectory([[0, 1, 1e308], [5, 2, 1]], opts), /point 1: a coordinate is beyond/);
    expectInputError(() => parseTrajectory([[0, 1, 1, 2e6], [5, 2, 1, 1]], opts), /point 1: pressure 2000000 is above 1000000/);
    expectInputError(() => parseTrajectory([{ t: 0, x: 1, y: 1, pressure: 1 }, { t: 5, x: 2, y: 1 }], opts), /all or none/);
    expectInputError(() => parseTrajectory([{ t: 0, x: 1, y: 1 }, { t: 500, x: 1, y: 1 }], opts), /never moves/);
    expectInputError(() => parseTrajectory([{ t: 0, x: 1, y: 1 }, { t: 0, x: 2, y: 1 }], opts), /no duration/);
    expectInputError(() => parseTrajectory([[0, 0, 0], [5_000_000, 1, 1]], opts), /at most 30000 ms/);
    expectInputError(() => parseTrajectory([[0, 0, 0], [30_001, 1, 1]], opts), /lasts 30001 ms; at most 30000 ms are accepted$/);
    // A tap in milliseconds: under 100 units but a point every 45 units, so not seconds: too short (a probe's 2-4 point
    // strokes of 10-24 ms were read as 10-24 s and scored as mismatches).
    expectInputError(() => parseTrajectory([[0, 0, 0], [40, 1, 1], [90, 2, 1]], opts), /lasts 90 ms, too short for a signature/);
    expectInputError(() => parseTrajectory([[0, 0, 0], [10, 3, 2]], opts), /lasts 10 ms, too short/);
    expectInputError(() => parseTrajectory([[0, 0, 0], [8, 1, 1], [16, 2, 1], [24, 3, 2]], opts), /lasts 24 ms, too short/);
    // Seconds with a pen's sampling (a point every 10 ms) still read as seconds; ninety of them under 100 units too.
    expect(parseTrajectory(Array.from({ length: 300 }, (_, i) => [i * 0.01, i, i % 7]), opts).t.at(-1)).toBeCloseTo(2990);
    expectInputError(() => parseTrajectory(Array.from({ length: 901 }, (_, i) => [i * 0.1, i, i % 7]), opts), /lasts 90000 ms; .*as milliseconds it would last 90 ms, too short/);
    expect(parseTrajectory([[0, 0, 0], [30_000, 1, 1]], opts).t.at(-1)).toBe(30_000);
    expectInputError(() => parseTrajectory("0 1 1\n0.01 2 2", opts), /expected t x y pressure/);
    expectInputError(() => parseTrajectory("{nope", opts), /does not parse/);
    expectInputError(() => parseTrajectory({ x: 1 }, opts), /array of points/);
    const many = Array.from({ length: HANDWRITING_LIMITS.maxPoints + 1 }, (_, i) => [i, i, i, 1]);
    expectInputError(() => parseTrajectory(many, opts), /at most 10000/);
    expect(new BiometricInputError("biometric_data", "x").toAppError().status).toBe(400);
  });
});

describe("handwriting model", () => {
  it("needs at least 3 signatures, pressure consistently, and is plain JSON", () => {
    expectInputError(() => enrollHandwriting([synthetic(0), synthetic(0.1)]), /at least 3 signatures/);
    expectInputError(() => enrollHandwriting([synthetic(0), synthetic(0.1), synthetic(0.2, 1, false)]), /every enrolment signature/);
    const model = enrollHandwriting([synthetic(0), synthetic(0.1), synthetic(0.2), synthetic(0.15)]);
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
    expect(isHandwritingModel(JSON.parse(JSON.stringify(model)))).toBe(true);
    expect(isHandwritingModel({ ...model, references: model.references.slice(0, 2) })).toBe(false);
    // A model of the previous engines (version 1, no descriptors; version 2, no stability) or with damaged
    // descriptors or stability is not used.
    const { descriptors: _d, ...v1 } = model;
    expect(isHandwritingModel({ ...v1, version: 1 })).toBe(false);
    expect(isHandwritingModel({ ...model, version: 1 })).toBe(false);
    const { stability: _s, ...v2 } = model;
    expect(isHandwritingModel({ ...v2, version: 2 })).toBe(false);
    expect(isHandwritingModel({ ...model, version: 2 })).toBe(false);
    expect(isHandwritingModel(v2)).toBe(false);
    expect(isHandwritingModel({ ...model, stability: model.stability.slice(1) })).toBe(false);
    expect(isHandwritingModel({ ...model, stability: model.stability.map((c) => c.slice(1)) })).toBe(false);
    // Counts are of the other references: with 4 references a digit above 3 (or not a digit) is damage.
    expect(isHandwritingModel({ ...model, stability: model.stability.map((c) => "4" + c.slice(1)) })).toBe(false);
    expect(isHandwritingModel({ ...model, stability: model.stability.map((c) => "a" + c.slice(1)) })).toBe(false);
    expect(isHandwritingModel({ ...model, params: { ...model.params, stabilityWeight: 2 } })).toBe(false);
    expect(isHandwritingModel({ ...model, descriptors: { ...model.descriptors, spread: model.descriptors.spread.slice(1) } })).toBe(false);
    expect(isHandwritingModel({ ...model, descriptors: { ...model.descriptors, spread: model.descriptors.spread.map(() => 0) } })).toBe(false);
    expect(isHandwritingModel({ ...model, descriptors: { ...model.descriptors, looMean: null } })).toBe(false);
    expectInputError(() => verifyHandwriting(model, synthetic(0.05, 1, false)), /enrolled with pen pressure/);
    const same = verifyHandwriting(model, synthetic(0.05));
    const other = verifyHandwriting(model, synthetic(2.5, 1.6));
    expect(same.distance).toBeLessThan(other.distance);
    expect(same.score).toBeGreaterThan(other.score);
    // The decision distance is the weighted mean of the DTW and descriptor distances.
    const w = model.params.descriptorWeight;
    expect(same.distance).toBeCloseTo((1 - w) * same.dtwDistance + w * same.descriptorDistance, 12);
  });

  it("refuses an enrolment whose signatures are not one person's: writers mixed, or one signature's strokes sent as signatures", () => {
    // A probe enrolled one signature each of writers 001, 002 and 003: accepted, and 18 of 20 other writers then matched.
    expectInputError(() => enrollHandwriting([enrolment(1)[0]!, enrolment(2)[0]!, enrolment(3)[0]!]), /one person's signature/);
    expectInputError(() => enrollHandwriting([...enrolment(4).slice(0, 4), enrolment(5)[0]!]), /one person's signature/);
    // Writer 002's first signature cut at its pen lifts (a signature pad's strokes): 3 strokes of 5 points or more.
    const s = enrolment(2)[0]!;
    const strokes: PenTrajectory[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length >= 5) strokes.push({ t: run.map((i) => s.t[i]!), x: run.map((i) => s.x[i]!), y: run.map((i) => s.y[i]!), pressure: run.map((i) => s.pressure[i]!), hasPressure: true });
      run = [];
    };
    s.pressure.forEach((p, i) => (p > 0 ? run.push(i) : flush()));
    flush();
    expect(strokes.length).toBeGreaterThanOrEqual(3);
    expectInputError(() => enrollHandwriting(strokes), /send each signature whole/);
    // Two writers, three signatures each (a probe's pairs, with and without pressure): each signature is as close to
    // the other writer's as to the rest on average, which the one-outlier measure let through 9 times in 120.
    const sig = (w: number, k: number) => parseTrajectory(file(`enrollment/${id(w)}-g-0${k}.txt`));
    const penless = (t: PenTrajectory) => parseTrajectory(t.t.flatMap((tt, i) => (t.pressure[i]! > 0 ? [{ t: tt, x: t.x[i]!, y: t.y[i]! }] : [])));
    for (const [a, b, withoutPressure] of [[60, 12, true], [6, 34, true], [61, 94, true], [68, 50, true], [6, 31, false], [73, 60, false], [59, 31, false], [52, 55, false]] as const) {
      const set = [1, 2, 3].flatMap((k) => [sig(a, k), sig(b, k)]).map((t) => (withoutPressure ? penless(t) : t));
      expectInputError(() => enrollHandwriting(set), /one person's signature/);
    }
    // The writers' own signatures still enrol.
    for (const w of [1, 2, 3, 4, 5]) expect(enrollHandwriting(enrolment(w)).references).toHaveLength(5);
    // The same signature twice is no second sample (a probe's copy made writer 010 refused 9 more times in 20).
    expectInputError(() => enrollHandwriting([...enrolment(10).slice(0, 4), enrolment(10)[0]!]), /signatures 1 and 5 are identical copies/);
  });

  it("stability: points matched one-to-one by every other reference count most; weights average 1", () => {
    const seqs = [0, 0.1, 0.2].map((w) => featureSeq(resample(synthetic(w), 10), DEFAULT_HANDWRITING_PARAMS.features));
    // A sequence against itself: the warping path is the diagonal, every point a direct match.
    const self = directMatches(seqs[0]!, seqs[0]!, 0.2);
    expect([...self.a].every((v) => v === 1)).toBe(true);
    expect([...self.b].every((v) => v === 1)).toBe(true);
    // Against a copy slowed down in its second half, the stretched part cannot be matched one-to-one.
    const base = synthetic(0);
    const half = base.t.length >> 1;
    const slowed = { ...base, t: base.t.map((v, i) => (i < half ? v : base.t[half]! + 2 * (v - base.t[half]!))) };
    const m = directMatches(featureSeq(resample(base, 10), ["x", "y"]), featureSeq(resample(slowed, 10), ["x", "y"]), 0.2);
    const share = (a: Uint8Array, from: number, to: number) => a.slice(from, to).reduce((x, y) => x + y, 0) / (to - from);
    expect(share(m.b, 5, half - 5)).toBeGreaterThan(0.8);
    expect(share(m.b, half + 10, m.b.length - 5)).toBeLessThan(0.2);
    // Weights: mean 1, higher where stabler; stabilityWeight 0 or no stable point = plain DTW.
    const w = stabilityWeights([0, 1, 2, 2, 0], 2, 0.5);
    expect(w.reduce((x, y) => x + y, 0) / w.length).toBeCloseTo(1, 12);
    expect(w[2]).toBeGreaterThan(w[1]!);
    expect(w[1]).toBeGreaterThan(w[0]!);
    expect([...stabilityWeights([0, 1, 2], 2, 0)]).toEqual([1, 1, 1]);
    expect([...stabilityWeights([0, 0, 0], 2, 1)]).toEqual([1, 1, 1]);
    // Smoothing spreads a stable point's weight over its neighbours (a stable region), keeping the mean at 1.
    const sm = stabilityWeights([0, 0, 3, 0, 0, 0], 3, 1, 1);
    expect(sm[1]).toBeCloseTo(sm[2]!, 12);
    expect(sm[1]).toBeGreaterThan(sm[0]!);
    expect(sm[5]).toBe(0);
    expect(sm.reduce((x, y) => x + y, 0) / sm.length).toBeCloseTo(1, 12);
    expect(weightedDtw(seqs[0]!, seqs[1]!, stabilityWeights(new Array<number>(seqs[1]!.length).fill(0), 2, 1), 0.2)).toBeCloseTo(
      dtw(seqs[0]!, seqs[1]!, 0.2),
      12,
    );
    // The model stores one count digit per reference point, from 0 to references - 1.
    const model = enrollHandwriting([synthetic(0), synthetic(0.1), synthetic(0.2), synthetic(0.15)]);
    model.stability.forEach((c, j) => {
      expect(c).toHaveLength(model.references[j]!.x.length);
      expect(c).toMatch(/^[0-3]+$/);
    });
  });

  it("descriptors: one finite value per name for odd but valid trajectories; the population spreads match", () => {
    expect(DESCRIPTOR_NAMES).toHaveLength(DESCRIPTOR_COUNT);
    expect(POPULATION_SPREAD).toHaveLength(DESCRIPTOR_COUNT);
    expect(POPULATION_SPREAD.every((v) => v > 0)).toBe(true);
    const line = { t: [0, 500], x: [0, 10], y: [5, 5], pressure: [1, 1], hasPressure: false };
    const vertical = { t: [0, 10, 20, 400], x: [3, 3, 3, 3], y: [0, 1, 2, 9], pressure: [0, 2, 0, 0], hasPressure: true };
    const gap = { t: [0, 10, 900, 910], x: [0, 1, 2, 3], y: [0, 1, 0, 1], pressure: [1, 1, 1, 1], hasPressure: true };
    for (const tr of [line, vertical, gap, synthetic(0), synthetic(0, 1, false), parseTrajectory(file("enrollment/001-g-01.txt"))]) {
      for (const step of [10, 20]) {
        const d = signatureDescriptors(resample(tr, step), step);
        expect(d).toHaveLength(DESCRIPTOR_COUNT);
        expect(d.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it("a careful slow copy of the shape is further from the writer by its descriptors", () => {
    const model = enrollHandwriting([synthetic(0), synthetic(0.1), synthetic(0.2), synthetic(0.15)]);
    const genuine = verifyHandwriting(model, synthetic(0.05));
    const slow = verifyHandwriting(model, synthetic(0.05, 1.8));
    expect(slow.descriptorDistance).toBeGreaterThan(2 * genuine.descriptorDistance);
    expect(slow.distance).toBeGreaterThan(genuine.distance);
  });

  it("on real data, genuine signatures beat skilled and random forgeries", () => {
    for (const w of [3, 14]) {
      const model = enrollHandwriting(enrolment(w));
      const mine = gt.filter(([name]) => name.startsWith(`${id(w)}-`));
      const score = (label: string) =>
        mine
          .filter(([, l]) => l === label)
          .slice(0, 6)
          .map(([name]) => verifyHandwriting(model, parseTrajectory(file(`verification/${name}.txt`))).distance);
      const genuine = score("g");
      const skilled = score("f");
      const random = enrolment(31 + w).map((s) => verifyHandwriting(model, s).distance);
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
      expect(median(genuine)).toBeLessThan(median(skilled));
      expect(Math.max(...genuine)).toBeLessThan(Math.min(...random));
      expect(genuine.filter((d) => d <= model.params.threshold).length).toBeGreaterThanOrEqual(4);
      expect(random.every((d) => d > model.params.threshold)).toBe(true);
    }
  });

  it("scores slow skilled forgeries (15-27 s in MCYT) as forgeries instead of refusing them as input", () => {
    // Issue 16: a 15.5-18 s forgery was refused as too long. Writer 011's forgers took up to 26.9 s.
    const model = enrollHandwriting(enrolment(11));
    for (const name of ["011-13", "011-44"]) {
      const forgery = parseTrajectory(file(`verification/${name}.txt`));
      expect(forgery.t.at(-1)!).toBeGreaterThan(20_000);
      for (const level of ["high", "standard"] as const) {
        const r = verifyHandwriting(model, forgery, { threshold: HANDWRITING_OPERATING_POINTS[level].threshold });
        expect(r.isMatch).toBe(false);
        expect(r.score).toBeLessThan(0.5);
      }
    }
  });

  it("decides at the security level's threshold when one is passed, at the model's own otherwise", () => {
    const model = enrollHandwriting(enrolment(3));
    expect(model.params.threshold).toBe(HANDWRITING_OPERATING_POINTS.standard.threshold);
    const probe = parseTrajectory(file(`verification/${gt.find(([n, l]) => n.startsWith("003-") && l === "g")![0]}.txt`));
    const d = verifyHandwriting(model, probe).distance;
    const below = verifyHandwriting(model, probe, { threshold: d * 0.99 });
    const above = verifyHandwriting(model, probe, { threshold: d * 1.01 });
    expect([below.isMatch, above.isMatch]).toEqual([false, true]);
    expect(below.score).toBeLessThan(0.5);
    expect(above.score).toBeGreaterThan(0.5);
    expect(above.threshold).toBeCloseTo(d * 1.01, 12);
    expect(verifyHandwriting(model, probe).threshold).toBe(model.params.threshold);
    expect(() => verifyHandwriting(model, probe, { threshold: 0 })).toThrow(RangeError);
    // high refuses more than standard; both decide on the writer-normalised distance.
    expect(HANDWRITING_OPERATING_POINTS.high.threshold).toBeLessThan(HANDWRITING_OPERATING_POINTS.standard.threshold);
    expect(HANDWRITING_OPERATING_POINTS.high.decideOn).toBe("distance");
  });

  it("enrols signatures without pressure on shape-and-rhythm features, and decides each model at the thresholds of its own features", () => {
    const penless = (tr: PenTrajectory): PenTrajectory => {
      const keep = tr.pressure.map((p) => p > 0);
      const f = (a: number[]) => a.filter((_, i) => keep[i]);
      return { t: f(tr.t), x: f(tr.x), y: f(tr.y), pressure: f(tr.pressure).map(() => 1), hasPressure: false };
    };
    const model = enrollHandwriting(enrolment(3).map(penless));
    expect(model.hasPressure).toBe(false);
    expect(model.params.features).toEqual(HANDWRITING_PARAMS_WITHOUT_PRESSURE.features);
    expect(model.params.features).not.toContain("p");
    expect(model.params.threshold).toBe(HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE.standard.threshold);
    for (const level of ["high", "standard"] as const) {
      expect(handwritingOperatingPoint(level, model)).toBe(HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE[level]);
      // A model enrolled without pressure before (its stored features hold the pen-lift signal `p`) keeps its thresholds.
      const before = { ...model, params: { ...model.params, features: DEFAULT_HANDWRITING_PARAMS.features } };
      expect(handwritingOperatingPoint(level, before)).toBe(HANDWRITING_OPERATING_POINTS_WITHOUT_PRESSURE_PEN_LIFT[level]);
      expect(handwritingOperatingPoint(level, enrollHandwriting(enrolment(3)))).toBe(HANDWRITING_OPERATING_POINTS[level]);
    }
    const genuine = penless(parseTrajectory(file(`verification/${gt.find(([n, l]) => n.startsWith("003-") && l === "g")![0]}.txt`)));
    expect(verifyHandwriting(model, genuine, { threshold: handwritingOperatingPoint("standard", model).threshold }).isMatch).toBe(true);
  });

  it("resamples irregular browser-style timings and treats long gaps as the pen lifted", () => {
    // Two strokes, points every 7-13 ms, a 300 ms lift between them (browsers report no points while lifted).
    const t = [0, 7, 20, 29, 40, 340, 351, 360, 372];
    const tr = { t, x: t.map((v) => v / 10), y: t.map(() => 1), pressure: t.map(() => 0.5), hasPressure: true };
    const r = resample(tr, 20);
    expect(r.x).toHaveLength(Math.floor(372 / 20) + 1);
    expect(r.p.slice(3, 16).every((p) => p === 0)).toBe(true);
    expect(r.p[0]).toBe(0.5);
    expect(r.p[r.p.length - 1]).toBe(0.5);
  });

  it("a genuine signature stays genuine when a device samples it slower and irregularly", () => {
    const model = enrollHandwriting(enrolment(3));
    const [name] = gt.find(([n, l]) => n.startsWith("003-") && l === "g")!;
    const full = parseTrajectory(file(`verification/${name}.txt`));
    // Keep about every third point, as a 30-40 Hz pointer-event stream would.
    const keep = full.t.map((_, i) => i % 3 === 0 || i % 7 === 0 || i === full.t.length - 1);
    const pick = (a: number[]) => a.filter((_, i) => keep[i]);
    const sparse = { t: pick(full.t), x: pick(full.x), y: pick(full.y), pressure: pick(full.pressure), hasPressure: true };
    const a = verifyHandwriting(model, full).distance;
    const b = verifyHandwriting(model, sparse).distance;
    expect(Math.abs(a - b)).toBeLessThan(0.1 * a);
  });
});

describe("model size", () => {
  const ref = (points: number) => ({ x: new Array<number>(points).fill(0), y: new Array<number>(points).fill(0), p: new Array<number>(points).fill(0) });

  it("keeps the newest signatures that fit the model's budget, never fewer than the minimum", () => {
    const lengths = (refs: { x: number[] }[]) => refs.map((r) => r.x.length);
    expect(lengths(newestReferencesWithinBudget([500, 600, 700].map(ref)))).toEqual([500, 600, 700]);
    const tenOf2000 = Array.from({ length: 10 }, (_, i) => ref(2000 + i));
    // The newest six would be 12,039 points, over the 12,000 budget: the newest five are kept.
    expect(lengths(newestReferencesWithinBudget(tenOf2000))).toEqual([2005, 2006, 2007, 2008, 2009]);
    expect(newestReferencesWithinBudget(Array.from({ length: 10 }, () => ref(3000))).length).toBe(4);
    expect(newestReferencesWithinBudget(Array.from({ length: 5 }, () => ref(5000))).length).toBe(HANDWRITING_MIN_REFERENCES);
    expect(newestReferencesWithinBudget(Array.from({ length: 12 }, () => ref(100))).length).toBe(HANDWRITING_MAX_REFERENCES);
  });

  it("the largest model an enrolment can build still comes back from the wallet (real seal, 30 s signatures)", async () => {
    // Ten signatures at the 30 s limit: the budget keeps the newest four (12,000 points), the largest model there is.
    const long = Array.from({ length: 10 }, (_, i) => handwritingReference(synthetic(i / 10, 25)));
    expect(long[0]!.x.length).toBe(3000);
    const kept = newestReferencesWithinBudget(long);
    expect(kept.reduce((n, r) => n + r.x.length, 0)).toBeLessThanOrEqual(HANDWRITING_MAX_TOTAL_POINTS);
    const model = enrollHandwritingReferences(kept, true, opts);
    const tpl = Buffer.from(JSON.stringify(model)).toString("base64url");
    const claims = { iss: "i", aud: "a", sub: "1:2", mod: "Handwriting", mid: "trustid-handwriting-dtw-v3", ver: 1, iat: 0, exp: 1, jti: "j", tpl, n: kept.length, cat: 0 };
    const sealed = await sealWalletTemplate("x".repeat(32), claims as WalletClaims);
    expect(sealed.length).toBeLessThanOrEqual(WALLET_LIMITS.sealedField);
  });
});
