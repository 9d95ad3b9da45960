import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BiometricInputError,
  KEYSTROKE_MIN_TRAINING_SAMPLES,
  parseKeystrokeDataset,
  scoreKeystroke,
  scoreKeystrokeSamples,
  trainKeystrokeModel,
  isKeystrokeModel,
  onSharedMeasurements,
  type KeystrokeSample,
} from "../../src/biometrics/keystroke";
import { KEYSTROKE_OPERATING_POINTS, KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY, keystrokeOperatingPoint } from "../../src/biometrics/keystroke/operating-points";
import { AppError } from "../../src/lib/errors";

const DATA = new URL("../../../shared/data/keystroke/meu-mobile-ksd/data/", import.meta.url);
const subject = (n: number) => readFileSync(new URL(`${n}.csv`, DATA), "utf8");

/** A consistent synthetic typing of `keys` keys (up_down = down_down - hold, as real timings are). */
function typing(keys: number, jitter: number, extras = false): KeystrokeSample {
  const hold = Array.from({ length: keys }, (_, i) => 80 + 5 * i + jitter * Math.sin(i * 7.1 + jitter));
  const downDown = Array.from({ length: keys - 1 }, (_, i) => 200 + 10 * i + jitter * Math.cos(i * 3.3 + jitter));
  const upDown = downDown.map((dd, i) => dd - hold[i]!);
  const s: KeystrokeSample = { hold, downDown, upDown };
  if (extras) {
    s.pressure = hold.map((_, i) => 0.2 + 0.01 * i);
    s.area = hold.map((_, i) => 0.3 + 0.005 * (i % 3)); // a screen's areas vary (one value on every key is no measurement)
  }
  return s;
}

function expectInputError(fn: () => unknown, pattern: RegExp, field = "training_dataset") {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BiometricInputError);
    const err = e as BiometricInputError;
    expect(err.field).toBe(field);
    expect(err.message).toMatch(pattern);
    return;
  }
  throw new Error("expected a BiometricInputError");
}

const opts = { field: "training_dataset" };

describe("keystroke dataset parser", () => {
  it("reads the MEU-Mobile headerless rows (71 fields: 14 keys, pressure, area, 3 averages)", () => {
    const samples = parseKeystrokeDataset(subject(1), opts);
    expect(samples).toHaveLength(51);
    const s = samples[0]!;
    expect(s.hold).toHaveLength(14);
    expect(s.downDown).toHaveLength(13);
    expect(s.upDown).toHaveLength(13);
    expect(s.pressure).toHaveLength(14);
    expect(s.area).toHaveLength(14);
    expect(s.hold[0]).toBe(89);
    expect(s.upDown[0]).toBe(294);
  });

  it("reads CSV with a header (MEU and CMU names), semicolons, and timing-only rows", () => {
    const header = "subject,rep,H.period,H.t,H.i,DD.period.t,DD.t.i,UD.period.t,UD.t.i";
    const csv = `${header}\ns002,1,0.15,0.11,0.09,0.40,0.30,0.25,0.19\ns002,2,0.14,0.10,0.08,0.38,0.29,0.24,0.19\n`;
    const [a] = parseKeystrokeDataset(csv, opts);
    expect(a).toEqual({ hold: [0.15, 0.11, 0.09], downDown: [0.4, 0.3], upDown: [0.25, 0.19] });
    const semi = "Hold a;Hold b;DD a.b;UD a.b;Pressure a;Pressure b;Size a;Size b\n90;80;200;110;0.2;0.3;0.25;0.3";
    const [b] = parseKeystrokeDataset(semi, opts);
    expect(b).toEqual({ hold: [90, 80], downDown: [200], upDown: [110], pressure: [0.2, 0.3], area: [0.25, 0.3] });
  });

  it("reads JSON objects (named arrays), flat arrays, a {samples} wrapper and parsed values", () => {
    const t = typing(4, 1, true);
    const obj = { hold: t.hold, down_down: t.downDown, up_down: t.upDown, pressure: t.pressure, area: t.area };
    expect(parseKeystrokeDataset(JSON.stringify([obj]), opts)).toEqual([t]);
    expect(parseKeystrokeDataset({ samples: [obj, obj] }, opts)).toHaveLength(2);
    const flat = [...t.hold, ...t.downDown, ...t.upDown];
    expect(parseKeystrokeDataset([flat], opts)).toEqual([{ hold: t.hold, downDown: t.downDown, upDown: t.upDown }]);
  });

  it("tells apart layouts of the same length by the up_down = down_down - hold identity", () => {
    // 13 values: 5 keys of timings, or 3 keys with pressure and area.
    const five = typing(5, 2);
    const row5 = [...five.hold, ...five.downDown, ...five.upDown];
    expect(parseKeystrokeDataset([row5], opts)[0]!.hold).toHaveLength(5);
    const three = typing(3, 2, true);
    const row3 = [...three.hold, ...three.downDown, ...three.upDown, ...three.pressure!, ...three.area!];
    expect(parseKeystrokeDataset([row3], opts)[0]!.hold).toHaveLength(3);
  });

  it("rejects bad datasets with the field name and a clear message", () => {
    expectInputError(() => parseKeystrokeDataset("", opts), /empty/);
    expectInputError(() => parseKeystrokeDataset("   \n  ", opts), /empty/);
    expectInputError(() => parseKeystrokeDataset([], opts), /empty/);
    expectInputError(() => parseKeystrokeDataset("1,2,3,4\n1,2,3", opts), /row 2 has 3 fields, expected 4/);
    expectInputError(() => parseKeystrokeDataset("90,80,NaN,110", opts), /row 1, field 3.*not a finite number/);
    expectInputError(() => parseKeystrokeDataset("90,80,0x6E,110", opts), /row 1, field 3.*not a finite number/);
    expectInputError(() => parseKeystrokeDataset("118,,90,110,95", opts), /row 1, field 2.*not a finite number/);
    expectInputError(() => parseKeystrokeDataset(JSON.stringify([{ hold: [0, 0, 0], down_down: [0, 0], up_down: [0, 0] }]), opts), /every hold time is 0/);
    expectInputError(() => parseKeystrokeDataset(JSON.stringify([{ hold: [90, 80, 70], down_down: [0, 0], up_down: [-90, -80] }]), opts), /every down_down time is 0/);
    expectInputError(() => parseKeystrokeDataset("-90,80,200,110", opts), /hold\[0\] is a negative timing/);
    expectInputError(() => parseKeystrokeDataset("90,80,-200,110", opts), /down_down\[0\] is a negative timing/);
    expectInputError(() => parseKeystrokeDataset("90,80,200,-300", opts), /up_down\[0\]/);
    expectInputError(() => parseKeystrokeDataset("1,2,3,4,5,6", opts), /matches no keystroke layout/);
    expectInputError(() => parseKeystrokeDataset("Hold a,Banana\n1,2", opts), /"Banana" is not a known/);
    // A huge unknown header is quoted cut short, not echoed whole (found by fuzzing: a 100 KB 400 body).
    expect(() => parseKeystrokeDataset(`${"a".repeat(100_000)}\n1`, opts)).toThrow(/^header column 1 "a{60}\.\.\." is not a known/);
    expectInputError(() => parseKeystrokeDataset("[1,2", opts), /does not parse/);
    expectInputError(() => parseKeystrokeDataset([{ hold: [1, 2], down_down: [3] }], opts), /"up_down" is missing/);
    expectInputError(() => parseKeystrokeDataset([{ hold: [1, 2], down_down: [3, 4], up_down: [2] }], opts), /need 1 values/);
    expectInputError(() => parseKeystrokeDataset([typing(4, 1), typing(5, 1)], opts), /same layout/);
    expectInputError(() => parseKeystrokeDataset([[90, 80, 200, 110], [90, 80, 200]], opts), /sample 2 has 3 values/);
    const many = Array.from({ length: 1001 }, () => "90,80,200,110").join("\n");
    expectInputError(() => parseKeystrokeDataset(many, opts), /at most 1000/);
    expectInputError(() => parseKeystrokeDataset("90,80,200,110", { field: "testing_dataset", maxSamples: 0 }), /at most 0/, "testing_dataset");
  });

  it("reads pressure or area that is the same on every key of every typing as no measurement (a web page's defaults)", () => {
    const real = parseKeystrokeDataset(subject(2));
    expect(real.every((t) => t.pressure && t.area)).toBe(true); // a real touch screen's vary
    const json = (over: (t: KeystrokeSample) => Partial<KeystrokeSample>) =>
      JSON.stringify(real.slice(0, 3).map((t) => ({ hold: t.hold, down_down: t.downDown, up_down: t.upDown, ...over(t) })));
    const defaults = parseKeystrokeDataset(json((t) => ({ pressure: t.hold.map(() => 0.5), area: t.hold.map(() => 1) })));
    expect(defaults.every((t) => t.pressure === undefined && t.area === undefined)).toBe(true);
    const areaOnly = parseKeystrokeDataset(json((t) => ({ pressure: t.pressure!, area: t.hold.map(() => 0) })));
    expect(areaOnly.every((t) => t.pressure !== undefined && t.area === undefined)).toBe(true);
  });

  it("accepts negative up_down within the hold time (key rollover)", () => {
    const [s] = parseKeystrokeDataset("90,80,60,-30", opts);
    expect(s!.upDown).toEqual([-30]);
  });

  it("maps to the API's 400 for the field", () => {
    try {
      parseKeystrokeDataset("", opts);
    } catch (e) {
      const app = (e as BiometricInputError).toAppError();
      expect(app).toBeInstanceOf(AppError);
      expect(app.status).toBe(400);
      expect(app.body).toMatchObject({ kind: "validation", badFormatted: ["training_dataset"] });
    }
  });
});

describe("keystroke model", () => {
  it("needs enough training samples", () => {
    const few = Array.from({ length: KEYSTROKE_MIN_TRAINING_SAMPLES - 1 }, (_, i) => typing(5, i));
    expectInputError(() => trainKeystrokeModel(few), /at least 10 typing samples/);
  });

  it("is plain JSON and refuses a sample of another layout", () => {
    // Typings some 10 ms apart, as a person's are (1 ms apart they would be copies of one another: the next test).
    const model = trainKeystrokeModel(Array.from({ length: 12 }, (_, i) => typing(5, 10 * i)));
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
    expect(isKeystrokeModel(JSON.parse(JSON.stringify(model)))).toBe(true);
    expect(isKeystrokeModel({ ...model, scale: [1] })).toBe(false);
    expect(isKeystrokeModel(null)).toBe(false);
    expectInputError(() => scoreKeystroke(model, typing(6, 1)), /trained on 5 keys/, "testing_dataset");
    expectInputError(() => scoreKeystroke(model, typing(5, 1, true)), /pressure/, "testing_dataset");
    // The service reads a typing in the model's layout: touch measurements a timings-only model lacks are left out.
    const shared = onSharedMeasurements(model, [typing(5, 1, true)]);
    expect(shared.model).toBe(model);
    expect(scoreKeystroke(model, shared.typings[0]!).distance).toBe(scoreKeystroke(model, typing(5, 1)).distance);
    const touchModel = trainKeystrokeModel(Array.from({ length: 12 }, (_, i) => typing(5, 10 * i, true)));
    expect(onSharedMeasurements(touchModel, [typing(5, 1, true)])).toEqual({ model: touchModel, typings: [typing(5, 1, true)] });
  });

  it("reads typings without touch data against a touch model on its timings, as a timings-only model would (MEU-Mobile)", () => {
    const rows = parseKeystrokeDataset(subject(3), { field: "training_dataset" });
    const touchModel = trainKeystrokeModel(rows.slice(0, 25));
    const timingsOnly = (s: KeystrokeSample): KeystrokeSample => ({ hold: s.hold, downDown: s.downDown, upDown: s.upDown });
    const trainedOnTimings = trainKeystrokeModel(rows.slice(0, 25).map(timingsOnly));
    const probes = rows.slice(25, 30).map(timingsOnly);
    const { model, typings } = onSharedMeasurements(touchModel, probes);
    expect(model.layout).toEqual(trainedOnTimings.layout);
    expect(model.threshold).toBe(KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY.high.threshold);
    for (const t of typings) expect(scoreKeystroke(model, t).distance).toBeCloseTo(scoreKeystroke(trainedOnTimings, t).distance, 9);
    // Pressure kept, area missing: the model keeps its pressure and drops its area.
    const withPressure = rows.slice(25, 26).map(({ area: _area, ...s }) => s);
    const pressureOnly = onSharedMeasurements(touchModel, withPressure);
    expect(pressureOnly.model.layout).toEqual({ keys: 14, pressure: true, area: false });
    expect(pressureOnly.model.typings[0]).toHaveLength(3 * 14 + 1 + 15);
    expect(scoreKeystroke(pressureOnly.model, pressureOnly.typings[0]!).distance).toBeGreaterThan(0);
  });

  it("refuses training typings that are copies of one another (one typing sent many times, with a millisecond of jitter)", () => {
    expectInputError(() => trainKeystrokeModel(Array.from({ length: 12 }, (_, i) => typing(5, i % 2))), /^repeated_sample: typings \d+ and \d+ are copies of each other/, "training_dataset");
  });

  it("takes timings in seconds as well as milliseconds", () => {
    const ms = Array.from({ length: 12 }, (_, i) => typing(5, 10 * i));
    const sec = ms.map((s) => ({ hold: s.hold.map((v) => v / 1000), downDown: s.downDown.map((v) => v / 1000), upDown: s.upDown.map((v) => v / 1000) }));
    const a = trainKeystrokeModel(ms);
    const b = trainKeystrokeModel(sec);
    expect(b.timeScale).toBe(1000);
    expect(scoreKeystroke(b, sec[3]!).distance).toBeCloseTo(scoreKeystroke(a, ms[3]!).distance, 6);
    // Trained in one unit, tested in the other: each typing is read in its own unit (it was scored 1000x off).
    expect(scoreKeystroke(a, sec[3]!).distance).toBeCloseTo(scoreKeystroke(a, ms[3]!).distance, 6);
    expect(scoreKeystroke(b, ms[3]!).distance).toBeCloseTo(scoreKeystroke(b, sec[3]!).distance, 6);
  });

  it("on real data, a subject's own later typings beat other subjects' typings", () => {
    for (const [s, other] of [[1, 2], [7, 30], [25, 12]] as const) {
      const own = parseKeystrokeDataset(subject(s));
      const them = parseKeystrokeDataset(subject(other));
      const model = trainKeystrokeModel(own.slice(0, 25));
      const genuine = own.slice(25).map((x) => scoreKeystroke(model, x).distance);
      const impostor = them.slice(0, 10).map((x) => scoreKeystroke(model, x).distance);
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
      expect(median(genuine)).toBeLessThan(median(impostor));
      // Most genuine typings pass the global threshold; several typings together decide reliably.
      expect(genuine.filter((d) => d <= model.threshold).length).toBeGreaterThan(genuine.length / 2);
      const ownAll = scoreKeystrokeSamples(model, own.slice(40));
      const themAll = scoreKeystrokeSamples(model, them.slice(0, 10));
      expect(ownAll.isMatch).toBe(true);
      expect(ownAll.score).toBeGreaterThan(themAll.score);
    }
  });

  it("decides at the security level's threshold when one is passed, at the model's own otherwise", () => {
    const own = parseKeystrokeDataset(subject(1));
    const model = trainKeystrokeModel(own.slice(0, 25));
    expect(model.threshold).toBe(KEYSTROKE_OPERATING_POINTS.high.threshold);
    const probe = own.slice(25, 28);
    const d = scoreKeystrokeSamples(model, probe).distance;
    // A threshold just below / above this distance flips the decision; 0.5 is the score at the threshold.
    const below = scoreKeystrokeSamples(model, probe, { threshold: d * 0.99 });
    const above = scoreKeystrokeSamples(model, probe, { threshold: d * 1.01 });
    expect([below.isMatch, above.isMatch]).toEqual([false, true]);
    expect(below.score).toBeLessThan(0.5);
    expect(above.score).toBeGreaterThan(0.5);
    expect(above.threshold).toBeCloseTo(d * 1.01, 12);
    expect(scoreKeystroke(model, probe[0]!, { threshold: 1e-3 }).isMatch).toBe(false);
    expect(scoreKeystrokeSamples(model, probe).threshold).toBe(model.threshold);
    expect(() => scoreKeystroke(model, probe[0]!, { threshold: Number.NaN })).toThrow(RangeError);
    // The levels are ordered: high refuses more.
    expect(KEYSTROKE_OPERATING_POINTS.high.threshold).toBeLessThan(KEYSTROKE_OPERATING_POINTS.standard.threshold);
    expect(KEYSTROKE_OPERATING_POINTS.high.decideOn).toBe("distance");
  });

  it("decides a timings-only model (a desktop keyboard) at the timings-only levels", () => {
    const own = parseKeystrokeDataset(subject(1)).map((s) => ({ hold: s.hold, downDown: s.downDown, upDown: s.upDown }));
    const model = trainKeystrokeModel(own.slice(0, 25));
    expect(model.layout).toMatchObject({ pressure: false, area: false });
    expect(model.threshold).toBe(KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY.high.threshold);
    for (const level of ["high", "standard"] as const) {
      expect(keystrokeOperatingPoint(level, model.layout)).toBe(KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY[level]);
      expect(keystrokeOperatingPoint(level, trainKeystrokeModel(parseKeystrokeDataset(subject(1)).slice(0, 25)).layout)).toBe(KEYSTROKE_OPERATING_POINTS[level]);
      // Timings alone tell typists apart less well: the same rules land on looser thresholds.
      expect(KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY[level].threshold).toBeGreaterThan(KEYSTROKE_OPERATING_POINTS[level].threshold);
    }
  });
});
