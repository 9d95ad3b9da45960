// Parser and validator for a student's typing timings (docs/keystroke.md is the user-facing description).
// Everything a client may send ends up as KeystrokeSample objects with one consistent layout, or a
// BiometricInputError naming the request field; the detector never sees malformed numbers.
import { BiometricInputError, finiteNumber } from "../input-error";
import { valuePreview } from "../../lib/errors";

/** One typing of the phrase: per-key and per-key-pair measurements, in key order. */
export interface KeystrokeSample {
  /** Time each key is held down (n values). */
  hold: number[];
  /** Key-down to next key-down (n - 1 values). */
  downDown: number[];
  /** Key-up to next key-down (n - 1 values); negative when keys overlap (rollover). */
  upDown: number[];
  /** Touch pressure per key (n values), when the device reports it. */
  pressure?: number[];
  /** Finger contact area per key (n values), when the device reports it. */
  area?: number[];
}

/** What every sample of one dataset (and of a model) shares: the detector compares like with like. */
export interface KeystrokeLayout {
  keys: number;
  pressure: boolean;
  area: boolean;
}

export interface KeystrokeParseOptions {
  /** Request field named in errors, e.g. "training_dataset" or "testing_dataset". */
  field?: string;
  /** Upper bound on samples (rows); a typing-timings upload is small, a huge one is abuse. */
  maxSamples?: number;
}

export const KEYSTROKE_LIMITS = {
  maxSamples: 1000,
  maxKeys: 256,
  /** Characters of CSV/JSON text accepted before parsing at all. */
  maxTextLength: 2_000_000,
} as const;

export function layoutOf(s: KeystrokeSample): KeystrokeLayout {
  return { keys: s.hold.length, pressure: s.pressure !== undefined, area: s.area !== undefined };
}

export const sameLayout = (a: KeystrokeLayout, b: KeystrokeLayout) =>
  a.keys === b.keys && a.pressure === b.pressure && a.area === b.area;

export const describeLayout = (l: KeystrokeLayout) =>
  `${l.keys} keys${l.pressure ? " + pressure" : ""}${l.area ? " + area" : ""}`;

/**
 * Parses a dataset: CSV text, JSON text, or an already-parsed JSON value (what a JSON request body field holds).
 * Throws BiometricInputError for anything that is not a non-empty list of valid samples with one layout.
 */
export function parseKeystrokeDataset(input: unknown, options: KeystrokeParseOptions = {}): KeystrokeSample[] {
  const field = options.field ?? "dataset";
  const maxSamples = Math.min(options.maxSamples ?? KEYSTROKE_LIMITS.maxSamples, KEYSTROKE_LIMITS.maxSamples);
  let samples: KeystrokeSample[];
  if (typeof input === "string") {
    if (input.length > KEYSTROKE_LIMITS.maxTextLength) {
      throw new BiometricInputError(field, `dataset text is longer than ${KEYSTROKE_LIMITS.maxTextLength} characters`);
    }
    const text = input.replace(/^\uFEFF/, "").trim();
    if (text === "") throw new BiometricInputError(field, "dataset is empty");
    if (text.startsWith("[") || text.startsWith("{")) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new BiometricInputError(field, "dataset looks like JSON but does not parse");
      }
      samples = fromJson(field, value, maxSamples);
    } else {
      samples = fromCsv(field, text, maxSamples);
    }
  } else {
    samples = fromJson(field, input, maxSamples);
  }
  return withoutConstantTouch(samples);
}

/**
 * Pressure or finger area that is the same on every key of every typing is no measurement: a web page reports
 * PointerEvent's default pressure 0.5 (or Touch.force 0) where the screen measures nothing. Such typings are timings
 * only and are decided at the timings-only operating point (a probe's constant pressure 0.5 and area 1 were decided
 * at the touch thresholds, refusing genuine typings the timings-only model accepts at the same distance). A real
 * touch screen never reports one value for every key (MEU-Mobile: at least 4 distinct pressures and 2 distinct
 * areas in every one of its 2,040 typings).
 */
function withoutConstantTouch(samples: KeystrokeSample[]): KeystrokeSample[] {
  for (const key of ["pressure", "area"] as const) {
    const first = samples[0]?.[key]?.[0];
    if (first !== undefined && samples.every((s) => s[key]?.every((v) => v === first))) for (const s of samples) delete s[key];
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------- JSON

function fromJson(field: string, value: unknown, maxSamples: number): KeystrokeSample[] {
  // `{ "samples": [...] }` is accepted as a convenience wrapper.
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "samples" in value) {
    value = (value as { samples: unknown }).samples;
  }
  if (!Array.isArray(value)) throw new BiometricInputError(field, "dataset must be an array of samples");
  if (value.length === 0) throw new BiometricInputError(field, "dataset is empty");
  checkCount(field, value.length, maxSamples);
  if (value.every((v) => Array.isArray(v))) {
    const rows = value.map((row: unknown[], i) => row.map((x, j) => finiteNumber(field, x, `sample ${i + 1}, value ${j + 1}`)));
    return fromFlatRows(field, rows, "sample");
  }
  const samples = value.map((v, i) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new BiometricInputError(field, `sample ${i + 1} must be an object with hold, down_down and up_down arrays (or every sample a flat array of numbers)`);
    }
    return fromObject(field, v as Record<string, unknown>, i + 1);
  });
  return checkConsistent(field, samples, "sample");
}

const ALIASES: Record<keyof KeystrokeSample, string[]> = {
  hold: ["hold", "h"],
  downDown: ["down_down", "downDown", "dd"],
  upDown: ["up_down", "upDown", "ud"],
  pressure: ["pressure", "p"],
  area: ["area", "size", "finger_area"],
};

function fromObject(field: string, o: Record<string, unknown>, index: number): KeystrokeSample {
  const get = (key: keyof KeystrokeSample, required: boolean): number[] | undefined => {
    const name = ALIASES[key].find((a) => o[a] !== undefined);
    if (name === undefined) {
      if (required) throw new BiometricInputError(field, `sample ${index}: "${ALIASES[key][0]}" is missing`);
      return undefined;
    }
    const arr = o[name];
    if (!Array.isArray(arr)) throw new BiometricInputError(field, `sample ${index}: "${name}" must be an array of numbers`);
    return arr.map((x, j) => finiteNumber(field, x, `sample ${index}, ${name}[${j}]`));
  };
  const s: KeystrokeSample = { hold: get("hold", true)!, downDown: get("downDown", true)!, upDown: get("upDown", true)! };
  const pressure = get("pressure", false);
  const area = get("area", false);
  if (pressure) s.pressure = pressure;
  if (area) s.area = area;
  validateSample(field, s, `sample ${index}`);
  return s;
}

// ----------------------------------------------------------------------------------------------- CSV

type Group = "hold" | "downDown" | "upDown" | "pressure" | "area" | "ignore";

/** Column names as written by the MEU-Mobile set ("Hold .", "DD ..t", "Size r", "AvH"), the CMU set
 * ("H.period", "DD.period.t", "subject", "rep") and the snake_case names of the JSON format. */
function columnGroup(name: string): Group | undefined {
  const n = name.trim().toLowerCase().replace(/^"|"$/g, "");
  if (["subject", "sessionindex", "session", "rep", "repetition", "avh", "avp", "ava", "ava.", "id"].includes(n)) return "ignore";
  const head = n.split(/[ ._\-:]/)[0] ?? "";
  if (n.startsWith("down_down") || n.startsWith("downdown")) return "downDown";
  if (n.startsWith("up_down") || n.startsWith("updown")) return "upDown";
  if (n.startsWith("finger_area")) return "area";
  if (head === "hold" || head === "h") return "hold";
  if (head === "dd") return "downDown";
  if (head === "ud") return "upDown";
  if (head === "pressure" || head === "p") return "pressure";
  if (head === "area" || head === "size" || head === "a") return "area";
  return undefined;
}

function splitCsvLine(line: string): string[] {
  const sep = line.includes(",") ? "," : line.includes(";") ? ";" : line.includes("\t") ? "\t" : /\s+/;
  return line.split(sep).map((c) => c.trim());
}

const looksNumeric = (c: string) => c !== "" && !Number.isNaN(Number(c));

function fromCsv(field: string, text: string, maxSamples: number): KeystrokeSample[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  let cells = lines.map(splitCsvLine);
  const first = cells[0];
  if (first === undefined) throw new BiometricInputError(field, "dataset is empty");
  // A header is any first row with a cell that is not a number. "NaN" counts as a (bad) number, not a name.
  // An empty cell is a missing value, not a name: it is reported as such below.
  const isHeader = first.some((c) => c !== "" && !looksNumeric(c) && !/^[+-]?(nan|inf(inity)?)$/i.test(c));
  let groups: Group[] | undefined;
  if (isHeader) {
    groups = first.map((name, j) => {
      const g = columnGroup(name);
      if (g === undefined) throw new BiometricInputError(field, `header column ${j + 1} ${valuePreview(name)} is not a known keystroke measurement`);
      return g;
    });
    cells = cells.slice(1);
  }
  if (cells.length === 0) throw new BiometricInputError(field, "dataset has a header but no rows");
  checkCount(field, cells.length, maxSamples);
  const width = groups?.length ?? first.length;
  const rows = cells.map((row, i) => {
    const line = i + 1 + (isHeader ? 1 : 0);
    if (row.length !== width) {
      throw new BiometricInputError(field, `row ${line} has ${row.length} fields, expected ${width} like the ${isHeader ? "header" : "first row"}`);
    }
    // Identifier columns (subject, rep...) may hold names; they are not measurements and are not checked.
    return row.map((c, j) => (groups?.[j] === "ignore" ? 0 : finiteNumber(field, c, `row ${line}, field ${j + 1}`)));
  });
  if (!groups) return fromFlatRows(field, rows, "row");
  const g = groups;
  const samples = rows.map((row, i) => {
    const pick = (k: Group) => row.filter((_, j) => g[j] === k);
    const s: KeystrokeSample = { hold: pick("hold"), downDown: pick("downDown"), upDown: pick("upDown") };
    if (g.includes("pressure")) s.pressure = pick("pressure");
    if (g.includes("area")) s.area = pick("area");
    validateSample(field, s, `row ${i + 2}`);
    return s;
  });
  return checkConsistent(field, samples, "row");
}

// ------------------------------------------------------------------------------------- flat vectors

interface FlatLayout {
  keys: number;
  extras: boolean; // pressure and area present
  averages: boolean; // three trailing averages (MEU-Mobile's AvH, AvP, AvA), dropped: they are derived
}

function splitFlat(row: number[], l: FlatLayout): KeystrokeSample {
  const n = l.keys;
  const s: KeystrokeSample = { hold: row.slice(0, n), downDown: row.slice(n, 2 * n - 1), upDown: row.slice(2 * n - 1, 3 * n - 2) };
  if (l.extras) {
    s.pressure = row.slice(3 * n - 2, 4 * n - 2);
    s.area = row.slice(4 * n - 2, 5 * n - 2);
  }
  return s;
}

/** How far the rows are from the identity up_down[i] = down_down[i] - hold[i] that real timings satisfy. */
function identityResidual(rows: number[][], l: FlatLayout): number {
  let sum = 0;
  let count = 0;
  for (const row of rows) {
    const s = splitFlat(row, l);
    for (let i = 0; i < s.upDown.length; i++) {
      const dd = s.downDown[i]!;
      const h = s.hold[i]!;
      sum += Math.abs(s.upDown[i]! - (dd - h)) / (Math.abs(dd) + Math.abs(h) + 1e-9);
      count++;
    }
  }
  return count ? sum / count : Infinity;
}

/**
 * Rows without names: `hold[n], down_down[n-1], up_down[n-1]` then optionally `pressure[n], area[n]` and then
 * optionally three averages, i.e. 3n-2, 5n-2 or 5n+1 fields. Some lengths fit two layouts (13 = 5 keys of timings
 * or 3 keys with pressure and area); the layout whose numbers satisfy up_down = down_down - hold best wins.
 */
function fromFlatRows(field: string, rows: number[][], what: string): KeystrokeSample[] {
  const width = rows[0]!.length;
  rows.forEach((r, i) => {
    if (r.length !== width) {
      throw new BiometricInputError(field, `${what} ${i + 1} has ${r.length} values, expected ${width} like the first ${what}`);
    }
  });
  const candidates: FlatLayout[] = [];
  if ((width + 2) % 3 === 0) candidates.push({ keys: (width + 2) / 3, extras: false, averages: false });
  if ((width + 2) % 5 === 0) candidates.push({ keys: (width + 2) / 5, extras: true, averages: false });
  if ((width - 1) % 5 === 0) candidates.push({ keys: (width - 1) / 5, extras: true, averages: true });
  const valid = candidates.filter((c) => c.keys >= 2 && c.keys <= KEYSTROKE_LIMITS.maxKeys);
  if (valid.length === 0) {
    throw new BiometricInputError(
      field,
      `a ${what} of ${width} values matches no keystroke layout: expected 3n-2 (hold, down_down, up_down), 5n-2 (+ pressure, area) or 5n+1 (+ 3 averages) values for n >= 2 keys, or name the columns in a header`,
    );
  }
  let best = valid[0]!;
  for (const c of valid.slice(1)) if (identityResidual(rows, c) < identityResidual(rows, best)) best = c;
  const samples = rows.map((r, i) => {
    const s = splitFlat(r, best);
    validateSample(field, s, `${what} ${i + 1}`);
    return s;
  });
  return samples;
}

// -------------------------------------------------------------------------------------- validation

function checkCount(field: string, n: number, max: number) {
  if (n > max) throw new BiometricInputError(field, `dataset has ${n} samples; at most ${max} are accepted`);
}

function validateSample(field: string, s: KeystrokeSample, where: string) {
  const n = s.hold.length;
  if (n < 2) throw new BiometricInputError(field, `${where}: at least 2 keys are needed (hold has ${n} values)`);
  if (n > KEYSTROKE_LIMITS.maxKeys) throw new BiometricInputError(field, `${where}: more than ${KEYSTROKE_LIMITS.maxKeys} keys`);
  if (s.downDown.length !== n - 1 || s.upDown.length !== n - 1) {
    throw new BiometricInputError(
      field,
      `${where}: down_down and up_down need ${n - 1} values for ${n} hold values (got ${s.downDown.length} and ${s.upDown.length})`,
    );
  }
  for (const [name, arr] of [["pressure", s.pressure], ["area", s.area]] as const) {
    if (arr && arr.length !== n) throw new BiometricInputError(field, `${where}: ${name} needs ${n} values, one per key (got ${arr.length})`);
    arr?.forEach((v, j) => {
      if (v < 0) throw new BiometricInputError(field, `${where}: ${name}[${j}] is negative`);
    });
  }
  s.hold.forEach((v, j) => {
    if (v < 0) throw new BiometricInputError(field, `${where}: hold[${j}] is a negative timing`);
  });
  s.downDown.forEach((v, j) => {
    if (v < 0) throw new BiometricInputError(field, `${where}: down_down[${j}] is a negative timing`);
  });
  // All zeros is no typing at all (a default-filled form, a synthetic event): a model of it would be a model of nothing.
  if (s.hold.every((v) => v === 0)) throw new BiometricInputError(field, `${where}: every hold time is 0; no key was held, this is not a typing`);
  if (s.downDown.every((v) => v === 0)) throw new BiometricInputError(field, `${where}: every down_down time is 0; the keys did not go down one after another`);
  // Up-down is negative when the next key goes down before this one comes up (rollover on a physical keyboard),
  // but never by more than this key was held: that would put the next key-down before this key-down.
  s.upDown.forEach((v, j) => {
    const h = s.hold[j]!;
    if (v < -h - 1e-6 * Math.max(1, h)) {
      throw new BiometricInputError(field, `${where}: up_down[${j}] is a negative timing larger than the key's hold time`);
    }
  });
}

function checkConsistent(field: string, samples: KeystrokeSample[], what: string): KeystrokeSample[] {
  const l0 = layoutOf(samples[0]!);
  samples.forEach((s, i) => {
    const l = layoutOf(s);
    if (!sameLayout(l, l0)) {
      throw new BiometricInputError(field, `${what} ${i + 1} has ${describeLayout(l)} but ${what} 1 has ${describeLayout(l0)}; every ${what} must have the same layout`);
    }
  });
  return samples;
}
