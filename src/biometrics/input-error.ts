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

/** Shared by the parsers: a number that is finite, or a clear complaint about where it is not. */
export function finiteNumber(field: string, value: unknown, where: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new BiometricInputError(field, `${where}: ${valuePreview(value)} is not a finite number`);
  }
  return n;
}
