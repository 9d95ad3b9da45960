// What the template store's RPC methods take and answer (src/templates/student-templates.ts). Callers
// get decisions, scores and versions, never a template.
import type { HandwritingReference } from "../biometrics/handwriting";
import type { SecurityLevel } from "../biometrics/security-level";

/** The modalities a student registers on /biometrics/register (and exports to the wallet). */
export type BiometricType = "Face" | "Voice" | "Handwriting";
/** What the templates table can hold: the form types plus the keystroke model of /biometrics/interaction/*. */
export type StoredBiometricType = BiometricType | "Interaction";
/** Types whose model is sealed JSON (not a vector): enrolled with enrolModel, verified inside the object. */
export type ModelBiometricType = "Handwriting" | "Interaction";

/** The per-student request limits (docs/limits.md): one bucket each. */
/** Per-student buckets: requests of the biometric endpoints, and pictures above 8 MP (costly to decode) wherever sent. */
export type BiometricLimit = "enrol" | "verify" | "monitoring" | "largePictures";

export type EnrolResult =
  | { ok: true; samples: number; version: number; createdAt: number }
  | { ok: false; reason: "inconsistent_set"; minAgreement: number; pair: number[] };

/**
 * `level`: the security level the decision was taken at; `threshold`: that level's operating point;
 * `templateVersion`: the version of the template compared with (it goes up on every enrolment), for the record.
 * `repeatedAfterMs` (src/biometrics/repeats.ts): the sample is a copy of one the student sent that long ago, so it
 * says nothing about who is there now: of one the template was enrolled from (any verification), or in exam
 * monitoring of one sent earlier in the same exam.
 */
export type VerifyResult =
  | { status: "match" | "no_match"; score: number; threshold: number; level: SecurityLevel; templateVersion: number; repeatedAfterMs?: number }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string };

/** One stored template as /biometrics/list shows it; `samples` is how many samples it was built from. */
export type TemplateInfo = { biometricType: StoredBiometricType; modelId: string; samples: number; createdAt: number; current: boolean };

export type ModelEnrolResult = { ok: true; version: number; createdAt: number; samples: number };

/** Signatures of one register request, as the writer model keeps them (handwritingReference). */
export type HandwritingBatch = { hasPressure: boolean; references: HandwritingReference[] };

export type HandwritingRegisterResult =
  | { status: "enrolled"; samples: number; version: number }
  | { status: "collecting"; samples: number; needed: number }
  | { status: "bad_input"; message: string };

export type ModelVerifyResult =
  | { status: "match" | "no_match"; score: number; distance: number; threshold: number; level: SecurityLevel; templateVersion: number; sampleScores?: number[] }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string }
  /** The sample cannot be compared with this model (pen pressure / keyboard layout differs): a 400 for the caller. */
  | { status: "bad_input"; message: string };

/** `score`: the cohort-normalised score the decision is taken on; `rawScore`: the plain cosine. */
export type VoiceVerifyResult =
  | {
      status: "match" | "no_match";
      /** The normalised score decided on: the clip's own, or with `window` the mean of the window's clips. */
      score: number;
      rawScore: number;
      threshold: number;
      level: SecurityLevel;
      templateVersion: number;
      /** Exam monitoring only (src/biometrics/voice/window.ts): clips in the mean, this clip's own score, the floor. */
      window?: { clips: number; clipScore: number; floor: number; belowFloor: boolean };
      /** As VerifyResult's (a repeated clip does not join the window). */
      repeatedAfterMs?: number;
    }
  | { status: "no_voice" }
  | { status: "not_enrolled" }
  | { status: "reenrolment_required"; enrolledModelId: string };

// ---- wallet (docs/wallet.md) ----

export type ExportResult =
  | { ok: true; sealed: string; exportId: string; version: number; modelId: string; issuedAt: number; expiresAt: number }
  | { ok: false; reason: "not_enrolled" | "reenrolment_required" };

/** One sealed template handed back by the wallet, named by the request field it came in. */
export type RestoreItem = { field: string; biometricType: BiometricType; sealed: string };

export type RestoreRefusal = {
  ok: false;
  field: string;
  reason: "unreadable" | "wrong_student" | "wrong_modality" | "expired" | "model_mismatch" | "stale_version" | "not_supported";
  detail: string;
};

export type RestoreResult = { ok: true; restored: { biometricType: BiometricType; version: number; alreadyPresent: boolean; exportId: string }[] } | RestoreRefusal;

export type WalletVersionInfo = { biometricType: BiometricType; version: number; held: boolean; modelId: string | null };
