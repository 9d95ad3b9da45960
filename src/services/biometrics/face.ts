// Face biometrics: image fields to bytes, analysis in the inference Worker, templates in the student's
// Durable Object, and the exam enrolment marked Verified after a live match. Quality problems (no face,
// several faces, face too small, failed liveness, undecodable image) are 400s that say so, never a
// "no match". `analyseFace` and `verifyFaceImage` are the entry points other services (monitoring) use.
import { FACE_POLICY } from "../../biometrics/face/policy";
import { headerSize, MAX_PIXELS, sniffFormat } from "../../biometrics/face/header";
import { sameCapture } from "../../biometrics/repeats";
import type { ImageResult } from "../../biometrics/face/analyse";
import { ownerOf, templateStoreAvailable, templatesOf } from "../../templates/client";
import type { HoldOnMatch } from "../../templates/holds";
import { takeStudentToken } from "../../middleware/rate-limit";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import type { SecurityLevel } from "../../biometrics/security-level";
import type { StoredBiometricType, VerifyResult } from "../../templates/types";
import { type Bindings, loadConfig } from "../../env";
import { AppError } from "../../lib/errors";
import { withTimeout } from "../../lib/overload";
import type { Caller } from "../../types";
import { base64Bytes, decodedLength, standardBase64, unpaddedBase64 } from "./samples";

/**
 * Largest decoded image accepted (bytes): a 48-50 MP phone JPEG is 10-20 MB. The API Worker holds a picture about
 * four times at the peak (body text, parsed JSON, base64-decoded bytes, the RPC copy): 16 MiB leaves room in 128 MB.
 */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;
export const MAX_ENROL_IMAGES = 5;

/**
 * A base64 data: URI of a picture: any `image/*` type (the decoder tells the format from the bytes, and names an
 * unsupported one), or `application/octet-stream` (FileReader's type for an untyped Blob); parameters allowed;
 * scheme and type in any case (RFC 2397: `DATA:IMAGE/JPEG;BASE64,` is the same URI).
 */
// A parameter's name stops at its first '=' ([^,;=]): with '=' allowed on both sides a parameter could be split many
// ways, and a 95-character "data:image/png;===...!" took the regex 7 s to refuse (an audit, 2026-12-07).
const DATA_URI = /^data:(?:image\/[\w.+-]+|application\/octet-stream)(?:;[^,;=]*=[^,;]*)*;base64,/i;

/** Decodes a base64 string or a `data:image/...;base64,` URI (never a URL to fetch). */
export function imageBytesFromField(field: string, value: string): Uint8Array {
  let b64 = value.trim();
  if (/^data:/i.test(b64)) {
    const m = DATA_URI.exec(b64);
    if (!m) throw AppError.badField(field, "Expected a data:image/... URI (JPEG, PNG or WebP) with base64 content.");
    b64 = b64.slice(m[0].length);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b64)) {
    throw AppError.badField(field, "URLs are not fetched; send the image itself as base64 or a data: URI.");
  }
  b64 = standardBase64(b64);
  if (b64.length === 0) throw AppError.validation({ missing: [field], details: { [field]: ["This field may not be blank."] } });
  const data = unpaddedBase64(b64);
  if (data === null) throw AppError.badField(field, "Not valid base64.");
  if (decodedLength(data) > MAX_IMAGE_BYTES) throw AppError.badField(field, `image_too_large: the picture is larger than ${MAX_IMAGE_BYTES} bytes.`);
  return base64Bytes(data);
}

function inference(env: Bindings) {
  if (!env.INFERENCE) throw new AppError(503, "Face verification is not available on this server");
  return env.INFERENCE;
}

/** A picture whose header claims more than 8 MP: decoded at reduced scale, at up to about 1 s of CPU. */
function isLargePicture(image: Uint8Array): boolean {
  const format = sniffFormat(image);
  const size = format ? headerSize(image, format) : null;
  return size !== null && size.width * size.height > MAX_PIXELS;
}

/**
 * Faces, the chosen face's embedding and liveness, and a quality status, for one image of `caller`'s. A picture above
 * 8 MP first takes a token of the student's large-picture limit (middleware/rate-limit.ts), or is a 429.
 */
export async function analyseFace(env: Bindings, image: Uint8Array, caller: Caller): Promise<ImageResult> {
  // Such a picture costs up to about 1 s of CPU to decode (a camera frame about 0.1 s): the request limits alone would
  // let one student's requests take several cores (a black-box probe's 25 MP PNGs through monitoring).
  if (isLargePicture(image)) await takeStudentToken(env, caller, "largePictures");
  // Bounded: a stuck or overloaded inference Worker is a 503, not a hung request.
  const analysis: Promise<ImageResult> = (async () => inference(env).analyse(image))();
  return withTimeout(analysis, loadConfig(env).load.inferenceTimeoutMs, "Face analysis is taking too long; try again shortly");
}

export type FaceProblem = "undecodable" | "image_too_large" | "no_face" | "multiple_faces" | "face_too_small" | "liveness_failed" | "repeated_sample";

const PROBLEM_TEXT: Record<FaceProblem, string> = {
  undecodable: "The image could not be decoded (JPEG, PNG or WebP expected)",
  image_too_large: "The image has too many pixels",
  no_face: "No face was found in the image",
  // A face-like picture behind the student can count too (docs/face.md "Limitations"): say so, as the student sees none.
  multiple_faces:
    "More than one face is in the image: only yours may be in view (another person, or a poster, painting or screen showing a face behind you, counts too)",
  face_too_small: "The face is too small; come closer to the camera",
  // Strong light on or behind the face, darkness and a face at the picture's edge fail it too (a black-box probe:
  // 11 of 16 genuine overexposed photos): the student is told what to fix before being told what it may mean.
  liveness_failed:
    "The face did not pass the liveness check: face the camera in even light (not too dark, no strong light behind or on you) with your whole face inside the picture; a photo or a screen held up to the camera fails it too",
  repeated_sample: "The picture is the same as another one sent with it; send different pictures, each taken anew",
};

/** The quality problem of an analysed image, if any (liveness only when asked). */
export function problemOf(r: ImageResult, requireLive: boolean): FaceProblem | null {
  if (!r.ok) return r.status;
  if (r.status !== "ok") return r.status;
  if (requireLive && !r.live) return "liveness_failed";
  return null;
}

const problemDetail = (p: FaceProblem, r: ImageResult) => (r.ok || p !== r.status ? `${p}: ${PROBLEM_TEXT[p]}` : `${p}: ${r.message}`);

export function problemError(field: string, p: FaceProblem, r: ImageResult): AppError {
  return AppError.validation({ badFormatted: [field], details: { [field]: [problemDetail(p, r)] } }, PROBLEM_TEXT[p]).measured(measurementsOf(r));
}

/** What a refusal's decision record keeps of the analysis (as monitoring's records do). */
const measurementsOf = (r: ImageResult) => (r.ok ? { faces: r.faces, liveness: r.liveness } : {});

export type RegisterOutcome = { used: number; total: number; rejected: { field: string; problem: FaceProblem }[]; version: number };

/** What a face registration's decision record keeps: pictures used and sent, and why each other one was left out. */
export const registrationQuality = (out: RegisterOutcome) => ({
  pictures_used: out.used,
  pictures_sent: out.total,
  // "images.1: liveness_failed, images.2: no_face" (a record's quality holds flat values).
  ...(out.rejected.length > 0 ? { left_out: out.rejected.map((r) => `${r.field}: ${r.problem}`).join(", ") } : {}),
});

/**
 * Enrols the student's face from several images: images with a quality problem are left out (and
 * reported); undecodable ones refuse the request; the good ones must agree with each other.
 */
export async function registerFace(env: Bindings, caller: Caller, images: { field: string; bytes: Uint8Array }[], now: number): Promise<RegisterOutcome> {
  const good: { field: string; embedding: number[] }[] = [];
  const rejected: { field: string; problem: FaceProblem; result: ImageResult }[] = [];
  for (const img of images) {
    // One at a time: each analysis holds a decoded picture in the inference isolate's memory.
    const r = await analyseFace(env, img.bytes, caller);
    const p = problemOf(r, true);
    if (p === "undecodable" || p === "image_too_large") throw problemError(img.field, p, r);
    if (p || !r.ok || !r.embedding) rejected.push({ field: img.field, problem: p ?? "no_face", result: r });
    // The same picture twice (src/biometrics/repeats.ts) would count as two while the template holds one.
    else if (good.some((g) => sameCapture(g.embedding, r.embedding!, "face"))) rejected.push({ field: img.field, problem: "repeated_sample", result: r });
    else good.push({ field: img.field, embedding: r.embedding });
  }
  if (good.length === 0) {
    const details = Object.fromEntries(rejected.map((x) => [x.field, [problemDetail(x.problem, x.result)]]));
    const first = rejected[0]!;
    throw AppError.validation({ badFormatted: rejected.map((x) => x.field), details }, images.length === 1 ? PROBLEM_TEXT[first.problem] : "None of the images can be used for enrolment").measured(
      images.length === 1 ? measurementsOf(first.result) : { pictures: images.length, used: 0 },
    );
  }
  const result = await templatesOf(env, ownerOf(caller)).enrolFace(ownerOf(caller), good.map((g) => g.embedding), CURRENT_MODEL_IDS.Face, now);
  if (!result.ok) {
    const [a, b] = result.pair as [number, number];
    const fields = [good[a]!.field, good[b]!.field];
    throw AppError.validation(
      { badFormatted: fields, details: { images: [`inconsistent_set: ${fields.join(" and ")} do not show the same person (similarity ${result.minAgreement.toFixed(2)})`] } },
      "The enrolment images do not show the same person",
    );
  }
  return { used: good.length, total: images.length, rejected: rejected.map(({ field, problem }) => ({ field, problem })), version: result.version };
}

/**
 * `repeated`: the frame is a copy of one sent `repeatedAfterMs` earlier, an enrolment picture or (exam monitoring)
 * a frame of the exam (src/biometrics/repeats.ts), so it is not judged: its score is kept for the record, it
 * neither matches nor mismatches.
 */
export type FaceMatch =
  | { outcome: "match" | "mismatch"; score: number; threshold: number; level: SecurityLevel; templateVersion: number; faces: number; liveness: number }
  | { outcome: "repeated"; score: number; threshold: number; level: SecurityLevel; templateVersion: number; faces: number; liveness: number; repeatedAfterMs: number }
  | { outcome: FaceProblem | "not_enrolled" | "reenrolment_required"; faces: number; liveness?: number };

/**
 * Compares an analysed picture with the student's own template without throwing: every outcome is a
 * value, for callers that record events rather than answer errors (server-side monitoring). `monitoring`: a frame
 * of that exam's monitoring, also checked against the exam's recent frames.
 */
export async function matchFace(
  env: Bindings,
  caller: Caller,
  r: ImageResult,
  level: SecurityLevel,
  monitoring?: { examId: number; now: number },
  holdOnMatch?: HoldOnMatch,
): Promise<FaceMatch> {
  const faces = r.ok ? r.faces : 0;
  const p = problemOf(r, true);
  if (p || !r.ok || !r.embedding) return { outcome: p ?? "no_face", faces, liveness: r.ok ? r.liveness : undefined };
  const v: VerifyResult = await templatesOf(env, ownerOf(caller)).verifyFace(ownerOf(caller), r.embedding, r.modelId, level, monitoring, holdOnMatch);
  if (v.status === "not_enrolled" || v.status === "reenrolment_required") return { outcome: v.status, faces, liveness: r.liveness };
  const scored = { score: v.score, threshold: v.threshold, level: v.level, templateVersion: v.templateVersion, faces, liveness: r.liveness ?? 0 };
  if (v.repeatedAfterMs !== undefined) return { outcome: "repeated", ...scored, repeatedAfterMs: v.repeatedAfterMs };
  return { outcome: v.status === "match" ? "match" : "mismatch", ...scored };
}

/**
 * `blurred`: the face looks blurred (FACE_POLICY.blurredBelow); `compressed`: it shows heavy JPEG blocks
 * (FACE_POLICY.compressedAbove). Likely causes of a refusal; never part of the decision.
 */
export type FaceVerification = {
  isMatch: boolean;
  score: number;
  threshold: number;
  level: SecurityLevel;
  templateVersion: number;
  liveness: number;
  blurred: boolean;
  compressed: boolean;
};

/** The answer's message: a refusal of a blurred or over-compressed face says so, so that the student retakes it instead of doubting the service. */
export function faceVerdictMessage(v: Pick<FaceVerification, "isMatch" | "blurred" | "compressed">): string {
  if (v.isMatch) return "The face matches the registered face model";
  if (v.blurred) {
    return "The face does not match the registered face model; the picture looks blurred: hold the camera still, clean the lens and make sure your face is in focus, then try again";
  }
  if (v.compressed) {
    return "The face does not match the registered face model; the picture looks heavily compressed (blocky JPEG): send it at a higher quality, as the camera took it, then try again";
  }
  return "The face does not match the registered face model";
}

/** The picture analysed, holding one usable live face (registration's and verification's checks); problems are 400s. */
async function usableFace(env: Bindings, caller: Caller, field: string, image: Uint8Array) {
  const r = await analyseFace(env, image, caller);
  const p = problemOf(r, true);
  if (p || !r.ok || !r.embedding) throw problemError(field, p ?? "no_face", r);
  const blurred = r.sharpness !== undefined && r.sharpness < FACE_POLICY.blurredBelow;
  const compressed = r.blockiness !== undefined && r.blockiness > FACE_POLICY.compressedAbove;
  return { embedding: r.embedding, modelId: r.modelId, faces: r.faces, liveness: r.liveness ?? 0, blurred, compressed };
}

/**
 * Whether a picture would do for registration or verification (one face, large enough, live), without comparing
 * it with anything: quality problems are thrown as 400s, as verification throws them. Decides nothing about who
 * is in it, so nothing is recorded (the enrolment page's checks were decision records and filled the error report).
 */
export async function checkFaceImage(env: Bindings, caller: Caller, field: string, image: Uint8Array): Promise<{ faces: number; liveness: number; blurred: boolean; compressed: boolean }> {
  const { faces, liveness, blurred, compressed } = await usableFace(env, caller, field, image);
  return { faces, liveness, blurred, compressed };
}

/**
 * 1:1 verification of one image against the caller's own template; quality problems are thrown as 400s.
 * `holdOnMatch`: the match verifies the student for an exam, so it holds their templates (src/templates/holds.ts).
 */
export async function verifyFaceImage(env: Bindings, caller: Caller, field: string, image: Uint8Array, level: SecurityLevel, holdOnMatch?: HoldOnMatch): Promise<FaceVerification> {
  const r = await usableFace(env, caller, field, image);
  const v: VerifyResult = await templatesOf(env, ownerOf(caller)).verifyFace(ownerOf(caller), r.embedding, r.modelId, level, undefined, holdOnMatch);
  if (v.status === "not_enrolled") throw AppError.notFound("biometric", "Face", "No face model is registered for this student; call face_register first");
  if (v.status === "reenrolment_required") {
    throw AppError.validation(
      { badFormatted: ["biometric_type"], details: { biometric_type: ["reenrolment_required: the registered face model can no longer be used (made with an older model version, or sealed under a template key this server no longer has); register the face again"] } },
      "Face re-enrolment required",
    );
  }
  // Not judged: the picture is one the template was made from (src/biometrics/repeats.ts), not one taken now.
  if (v.repeatedAfterMs !== undefined) {
    throw AppError.validation(
      { badFormatted: [field], details: { [field]: ["repeated_sample: the picture is one of those the face model was registered with; a verification needs a picture taken now"] } },
      "The picture is a copy of a registration picture",
    );
  }
  return { isMatch: v.status === "match", score: v.score, threshold: v.threshold, level: v.level, templateVersion: v.templateVersion, liveness: r.liveness, blurred: r.blurred, compressed: r.compressed };
}

export async function listBiometrics(env: Bindings, caller: Caller) {
  return templatesOf(env, ownerOf(caller)).list(ownerOf(caller), CURRENT_MODEL_IDS);
}

export async function unregisterBiometric(env: Bindings, caller: Caller, type: StoredBiometricType): Promise<void> {
  const removed = await templatesOf(env, ownerOf(caller)).revoke(ownerOf(caller), type);
  if (!removed) throw AppError.notFound("biometric", type, `No ${type} model is registered for this student`);
}

/** Which biometric models this server can run now (Face and Voice when the inference Worker answers; Handwriting when templates can be stored). */
export async function serverStatus(env: Bindings): Promise<{ Face: boolean; Voice: boolean; Handwriting: boolean }> {
  let face = false;
  try {
    face = env.INFERENCE ? (await env.INFERENCE.status()).available : false;
  } catch {
    face = false;
  }
  let voice = false;
  try {
    voice = env.INFERENCE ? (await env.INFERENCE.voiceStatus()).available : false;
  } catch {
    voice = false;
  }
  // Handwriting runs in this Worker and needs only the template store.
  const handwriting = templateStoreAvailable(env);
  return { Face: face, Voice: voice, Handwriting: handwriting };
}
