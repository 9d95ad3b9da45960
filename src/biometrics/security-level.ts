// Security levels: the named operating points a biometric decision is taken at. An institution chooses its
// default level (scripts/institution.mjs) and an exam may override it; the level picks, per modality, the
// threshold that a bench script chose on people the engine was not tuned on (BENCHMARKS.md says how).
// Each modality keeps its own operating points next to its engine (src/biometrics/<modality>/operating-points.ts).

export const SECURITY_LEVELS = ["high", "standard"] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];
/** Used when neither the exam nor the institution chose a level. */
export const DEFAULT_SECURITY_LEVEL: SecurityLevel = "high";

export const isSecurityLevel = (v: unknown): v is SecurityLevel => typeof v === "string" && (SECURITY_LEVELS as readonly string[]).includes(v);

/** A rate measured on held-out people, with its 95 % confidence interval and the counts it came from. */
export type MeasuredRate = { rate: number; ci95: [number, number]; errors: number; trials: number };

export type OperatingPoint = {
  /**
   * `similarity`: accept when score >= threshold (face, voice).
   * `distance`: accept when distance <= threshold (handwriting, keystroke: writer/typist-normalised distances).
   */
  decideOn: "similarity" | "distance";
  threshold: number;
  /** What the bench measured at this threshold on held-out people (not the people it was chosen on). */
  measured: { fmr: MeasuredRate; fnmr: MeasuredRate; protocol: string };
};

export type OperatingPoints = Record<SecurityLevel, OperatingPoint>;

export const accepts = (p: Pick<OperatingPoint, "decideOn" | "threshold">, value: number): boolean =>
  p.decideOn === "similarity" ? value >= p.threshold : value <= p.threshold;
