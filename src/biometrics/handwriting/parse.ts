// Parser and validator for an online pen trajectory (a signature written on a tablet or in a browser canvas).
// Accepted shapes are listed in docs/handwriting.md; everything ends up as one PenTrajectory with strictly
// checked numbers, or a BiometricInputError naming the request field.
import { BiometricInputError, finiteNumber } from "../input-error";

/** Columns of one trajectory; t in milliseconds from the first point. */
export interface PenTrajectory {
  t: number[];
  x: number[];
  y: number[];
  /** Pen pressure, >= 0; 0 = pen lifted (hovering). All 1 when the device reported none. */
  pressure: number[];
  /** False when the client sent no pressure at all (mouse, some touch screens), or the same pressure for every pen-down
   * point (a browser's PointerEvent.pressure for a mouse or a finger): then only the pen-down points are kept. */
  hasPressure: boolean;
}

export const HANDWRITING_LIMITS = {
  minPoints: 2,
  /** 100 s at 100 Hz, or 41 s at 240 Hz (iPad pencil): beyond the duration limit on every common device. */
  maxPoints: 10_000,
  /**
   * The one duration limit of a signature, at enrolment and at verification (the API applies no other). Real
   * signatures take 1-11 s, but a skilled forgery is slow (MCYT has forgeries of up to 27 s): a forgery must be
   * scored and refused as a forgery, not refused as input, so the limit sits above them. It bounds the CPU: the
   * engine resamples on a 10 ms grid and DTW cost grows with the product of the two lengths; the worst case at
   * 30 s is measured by bench/handwriting-worst-case.ts (BENCHMARKS.md).
   */
  maxDurationMs: 30_000,
  /** No signature is written faster (the unit rule below relies on it too). */
  minDurationMs: 100,
  maxTextLength: 2_000_000,
  /** Pen coordinates (any unit: tablet counts, pixels, mm) and pressure (0-1, or device levels such as MCYT's 0-1023)
   * beyond these are not a pen's: such values overflow the engine's sums of squares (1e308 made a NaN score). */
  maxAbsCoordinate: 1e7,
  maxPressure: 1e6,
} as const;

export interface TrajectoryParseOptions {
  /** Request field named in errors, e.g. "biometric_data". */
  field?: string;
}

/**
 * JSON text or value: `[{t, x, y, pressure?}, ...]`, `{points: [...]}`, or `[[t, x, y, pressure?], ...]`;
 * or the rows of the shared data: `t x y pressure [penup azimuth inclination]` separated by whitespace.
 * Time may be in seconds or milliseconds: a trajectory spanning less than 100 time units, with at least 10 points a
 * unit, is taken as seconds (no signature is written in under 100 ms, none takes 100 s).
 */
export function parseTrajectory(input: unknown, options: TrajectoryParseOptions = {}): PenTrajectory {
  const field = options.field ?? "trajectory";
  let rows: number[][];
  let hasPressure: boolean;
  if (typeof input === "string") {
    if (input.length > HANDWRITING_LIMITS.maxTextLength) {
      throw new BiometricInputError(field, `trajectory text is longer than ${HANDWRITING_LIMITS.maxTextLength} characters`);
    }
    const text = input.replace(/^\uFEFF/, "").trim();
    if (text === "") throw new BiometricInputError(field, "trajectory is empty");
    if (text.startsWith("[") || text.startsWith("{")) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new BiometricInputError(field, "trajectory looks like JSON but does not parse");
      }
      ({ rows, hasPressure } = fromJson(field, value));
    } else {
      ({ rows, hasPressure } = fromText(field, text));
    }
  } else {
    ({ rows, hasPressure } = fromJson(field, input));
  }
  return validate(field, rows, hasPressure);
}

function checkNotTooLong(field: string, n: number) {
  if (n > HANDWRITING_LIMITS.maxPoints) throw new BiometricInputError(field, `trajectory has ${n} points; at most ${HANDWRITING_LIMITS.maxPoints} are accepted`);
}

function checkLength(field: string, n: number) {
  if (n === 0) throw new BiometricInputError(field, "trajectory is empty");
  if (n < HANDWRITING_LIMITS.minPoints) throw new BiometricInputError(field, "trajectory has a single point; a signature needs a pen movement");
  checkNotTooLong(field, n);
}

function fromText(field: string, text: string): { rows: number[][]; hasPressure: boolean } {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  // A CSV header line (`t,x,y,pressure`: names only), as spreadsheets and most exporters write one, is skipped.
  if (lines.length > 0 && lines[0]!.split(/[\s,;]+/).every((cell) => /^[A-Za-z_"'][\w"']*$/.test(cell))) lines.shift();
  // The rows' shape is checked before their count: "42" is a malformed row, not a one-point signature.
  checkNotTooLong(field, lines.length);
  // Semicolons between the fields and commas in the numbers: a spreadsheet's CSV in a decimal-comma locale (Greek,
  // Cypriot, most of Europe). Split on commas too, `0,01;16,11` was read as 4 other numbers (a probe's genuine
  // signature was refused at distance 2.8).
  const decimalComma = lines.length > 0 && lines.every((l) => l.includes(";")) && lines.some((l) => l.includes(","));
  const rows = lines.map((line, i) => {
    const cells = decimalComma ? line.split(/[\s;]+/).map((c) => c.replace(",", ".")) : line.split(/[\s,;]+/);
    if (cells.length < 4) {
      throw new BiometricInputError(field, `row ${i + 1} has ${cells.length} fields; expected t x y pressure [penup azimuth inclination]`);
    }
    if (cells.length > 7) throw new BiometricInputError(field, `row ${i + 1} has ${cells.length} fields; at most 7 are defined`);
    return cells.slice(0, 4).map((c, j) => finiteNumber(field, c, `row ${i + 1}, field ${j + 1}`));
  });
  return { rows, hasPressure: true };
}

function fromJson(field: string, value: unknown): { rows: number[][]; hasPressure: boolean } {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "points" in value) {
    value = (value as { points: unknown }).points;
  }
  if (!Array.isArray(value)) throw new BiometricInputError(field, "trajectory must be an array of points or {points: [...]}");
  checkLength(field, value.length);
  let withPressure = 0;
  const rows = value.map((p: unknown, i) => {
    const where = `point ${i + 1}`;
    if (Array.isArray(p)) {
      if (p.length < 3 || p.length > 7) throw new BiometricInputError(field, `${where} must be [t, x, y, pressure?]`);
      if (p.length >= 4) withPressure++;
      return p.slice(0, 4).map((v, j) => finiteNumber(field, v, `${where}[${j}]`));
    }
    if (p === null || typeof p !== "object") throw new BiometricInputError(field, `${where} must be an object {t, x, y, pressure}`);
    const o = p as Record<string, unknown>;
    const get = (k: string) => {
      if (o[k] === undefined) throw new BiometricInputError(field, `${where}: "${k}" is missing`);
      return finiteNumber(field, o[k], `${where}.${k}`);
    };
    const row = [get("t"), get("x"), get("y")];
    const pr = o.pressure ?? o.p;
    if (pr !== undefined) {
      withPressure++;
      row.push(finiteNumber(field, pr, `${where}.pressure`));
    }
    return row;
  });
  // Pressure for some points only would make the pressure feature meaningless: all or none.
  if (withPressure !== 0 && withPressure !== rows.length) {
    throw new BiometricInputError(field, `pressure is given for ${withPressure} of ${rows.length} points; give it for all or none`);
  }
  return { rows, hasPressure: withPressure > 0 };
}

/**
 * Whether the pressures say nothing about the pen's force: every pen-down point (pressure > 0) has the same value.
 * Browsers report PointerEvent.pressure 0.5 for a mouse with its button down and a constant for most fingers, so a
 * client passing it on sends "pressure" that is no measurement. Such a signature is the pen-less kind: judged as a
 * tablet's, with the tablet's thresholds, it let skilled forgers through about three times as often (BENCHMARKS.md,
 * "Signatures without pressure").
 */
function pressureIsConstant(rows: number[][]): boolean {
  let down: number | undefined;
  for (const r of rows) {
    const p = r[3]!;
    if (p < 0) return false; // refused below, with its own message
    if (p === 0) continue;
    if (down === undefined) down = p;
    else if (p !== down) return false;
  }
  return down !== undefined;
}

function validate(field: string, rows: number[][], hasPressure: boolean): PenTrajectory {
  checkLength(field, rows.length);
  if (hasPressure && pressureIsConstant(rows)) {
    // As a device without pressure reports it: the pen-down points only (a lift is a gap in time), no pressure.
    rows = rows.filter((r) => r[3]! > 0);
    hasPressure = false;
    checkLength(field, rows.length);
  }
  const t0 = rows[0]![0]!;
  const span = rows[rows.length - 1]![0]! - t0;
  // Seconds when the span is under 100 units and the points come at least 10 a second read so (no signature takes
  // under 100 ms; every pen samples far faster). The second condition keeps a 2-4 point tap sent in milliseconds
  // (10-24 ms) from being read as a 10-24 s signature and scored as a mismatch (a probe, 2026-12-07).
  const toMs = span < 100 && span / (rows.length - 1) <= 0.1 ? 1000 : 1;
  const traj: PenTrajectory = { t: [], x: [], y: [], pressure: [], hasPressure };
  let prev = -Infinity;
  rows.forEach((r, i) => {
    const t = r[0]!;
    // Equal timestamps happen (browsers coalesce pointer events); time running backwards never does.
    if (t < prev) throw new BiometricInputError(field, `time goes backwards at point ${i + 1} (${t} after ${prev})`);
    prev = t;
    const p = hasPressure ? r[3]! : 1;
    if (p < 0) throw new BiometricInputError(field, `point ${i + 1}: pressure is negative`);
    if (p > HANDWRITING_LIMITS.maxPressure) throw new BiometricInputError(field, `point ${i + 1}: pressure ${p} is above ${HANDWRITING_LIMITS.maxPressure}`);
    if (Math.abs(r[1]!) > HANDWRITING_LIMITS.maxAbsCoordinate || Math.abs(r[2]!) > HANDWRITING_LIMITS.maxAbsCoordinate) {
      throw new BiometricInputError(field, `point ${i + 1}: a coordinate is beyond +-${HANDWRITING_LIMITS.maxAbsCoordinate}`);
    }
    traj.t.push((t - t0) * toMs);
    traj.x.push(r[1]!);
    traj.y.push(r[2]!);
    traj.pressure.push(p);
  });
  if (span <= 0) throw new BiometricInputError(field, "trajectory has no duration: every point has the same time");
  if (span * toMs < HANDWRITING_LIMITS.minDurationMs) {
    throw new BiometricInputError(field, `trajectory lasts ${span} ms, too short for a signature (at least ${HANDWRITING_LIMITS.minDurationMs} ms): a tap or a stray stroke, not a signature`);
  }
  if (span * toMs > HANDWRITING_LIMITS.maxDurationMs) {
    // A span under 100 units is read as seconds; a tap or dot sent in milliseconds lands here too, and must be
    // told it is too short rather than too long.
    const ifMilliseconds = toMs === 1000 ? ` (its times were read as seconds; as milliseconds it would last ${span} ms, too short for a signature)` : "";
    throw new BiometricInputError(field, `trajectory lasts ${Math.round(span * toMs)} ms; at most ${HANDWRITING_LIMITS.maxDurationMs} ms are accepted${ifMilliseconds}`);
  }
  if (Math.max(...traj.x) === Math.min(...traj.x) && Math.max(...traj.y) === Math.min(...traj.y)) {
    throw new BiometricInputError(field, "the pen never moves: every point is at the same place");
  }
  if (hasPressure && !traj.pressure.some((p) => p > 0)) throw new BiometricInputError(field, "the pen never touches: every pressure is 0");
  return traj;
}
