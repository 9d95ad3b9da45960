// Bad biometric input (an empty trajectory, a keystroke row with the wrong number of fields, NaN...) is the
// caller's fault and must become a 400 naming the request field, never a 500 and never a changed template.
// The engines do not know which request field carried the data, so the caller passes the field name in and
// maps this error with `toAppError()` (or catches it and calls AppError.badField itself).
import { AppError, valuePreview } from "../lib/errors";

export class BiometricInputError extends Error {
  constructor(
    /** Request field the bad data came from, e.g. "training_dataset". */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "BiometricInputError";
  }

  toAppError(): AppError {
    return AppError.badField(this.field, this.message);
  }
}

// A decimal number as text: what every device and CSV writes. Number() alone would also take "0x1F", "0b11"
// and "0o7", which no sensor writes and which would be read as other values than the sender meant.
// Written so that digits can be read one way only: `\d+\.?\d*` let a long run of digits split between its two parts in
// every way, and a 100,000-digit cell followed by an "x" took 15-25 s to refuse (an audit, 2026-12-07).
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** Shared by the parsers: a number that is finite, or a clear complaint about where it is not. */
export function finiteNumber(field: string, value: unknown, where: string): number {
  const n = typeof value === "string" && DECIMAL.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new BiometricInputError(field, `${where}: ${valuePreview(value)} is not a finite number`);
  }
  return n;
}
