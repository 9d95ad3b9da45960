// Plain-language explanations of decision records (GDPR Art. 22: the student may obtain an explanation of a
// decision taken by automated means). Pure: built from the stored record only, so that the explanation a
// student reads today is the one the record supported when it was taken.
import type { DecisionRow } from "./record";

type Words = { sample: string; enrolled: string; compare: string };
const WORDS: Record<DecisionRow["modality"], Words> = {
  face: { sample: "The picture", enrolled: "your registered face", compare: "similarity" },
  voice: { sample: "The recording", enrolled: "your registered voice", compare: "similarity" },
  handwriting: { sample: "The signature", enrolled: "your registered signatures", compare: "distance" },
  keystroke: { sample: "The typing sample", enrolled: "your typing profile", compare: "distance" },
  processes: { sample: "The list of running programs", enrolled: "the exam's rules", compare: "" },
};

/** Why a sample could not be judged, or what a check found, in words. */
export const REASON_TEXT: Record<string, string> = {
  undecodable: "could not be read (not a picture or recording the service understands)",
  image_too_large: "was too large",
  no_face: "showed no face",
  multiple_faces: "showed more than one face",
  face_too_small: "showed a face too small to compare (come closer to the camera)",
  liveness_failed: "did not pass the liveness check (it may be too dark or too bright, cut off at the picture's edge, or show a photo or a screen held up to the camera)",
  no_speech: "did not contain enough speech",
  silent: "was silent (no sound reached the microphone)",
  truncated: "was cut short before any usable audio",
  inconsistent_speakers: "did not all sound like the same speaker",
  too_short: "was too short",
  inconsistent_set: "did not all show the same person",
  reenrolment_required: "could not be compared: your registration was made with an older model (or can no longer be read by the server) and must be renewed",
  forbidden_process: "included a program the exam forbids",
  client_error: "could not be checked because of an error on your device",
  template_missing: "could not be checked: nothing usable is registered to compare it with",
  repeated_sample:
    "was a copy of an earlier sample (a still picture, a recording played again, or a registered picture, recording, signature or typing sent again: no camera, microphone or person produces the same sample twice)",
};

/** An oral exam's frame decided on the fused face + voice score (services/decisions/outcomes.ts). */
const fusedOf = (d: DecisionRow) => (d.quality as Record<string, unknown> | null)?.decided_on === "fused";
const num = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));

/**
 * A value and the limit it was compared with, as the explanation prints them: the limit as it is in force (up to 4
 * decimals: 0.755, not 0.76), the value with as many decimals as needed to stand on its true side of the limit
 * (0.7549 against 0.755, never "0.755 ... accepts at most 0.755" for a refusal).
 */
export function valueAndLimit(value: number, limit: number): [string, string] {
  let decimals = Math.max(2, String(Number(limit.toFixed(4))).split(".")[1]?.length ?? 0);
  const shownLimit = limit.toFixed(decimals);
  let shownValue = value.toFixed(decimals);
  while (value !== limit && Number(shownValue) === Number(shownLimit) && decimals < 8) shownValue = value.toFixed(++decimals);
  return [shownValue, shownLimit];
}

/** Exam voice monitoring decided on a window of recent clips (src/biometrics/voice/window.ts). */
function windowOf(d: DecisionRow): { clips: number; clipScore: number; floor: number; belowFloor: boolean } | null {
  const q = (d.quality ?? {}) as Record<string, unknown>;
  if (q.decided_on !== "window" || typeof q.window_clips !== "number" || typeof q.clip_score !== "number" || typeof q.clip_floor !== "number") return null;
  return { clips: q.window_clips, clipScore: q.clip_score, floor: q.clip_floor, belowFloor: q.below_floor === true };
}

/** A fused frame refused because a part was under its floor (src/biometrics/fusion.ts FUSION_FLOORS). */
function floorOf(d: DecisionRow): string {
  const q = (d.quality ?? {}) as Record<string, unknown>;
  if (q.below_floor !== true || typeof q.refused_for !== "string") return "";
  const parts: string[] = [];
  if (q.refused_for.includes("face") && typeof q.face_similarity === "number" && typeof q.face_floor === "number") {
    const [value, floor] = valueAndLimit(q.face_similarity, q.face_floor);
    parts.push(`face similarity ${value}, under the ${floor} any picture must reach`);
  }
  if (q.refused_for.includes("voice") && typeof q.voice_score === "number" && typeof q.voice_floor === "number") {
    const [value, floor] = valueAndLimit(q.voice_score, q.voice_floor);
    parts.push(`voice score ${value}, under the ${floor} any recording must reach`);
  }
  return parts.length > 0 ? `: ${parts.join("; ")}, whatever the combined score` : "";
}

function comparison(d: DecisionRow, w: Words): string {
  if (d.score === null || d.threshold === null) return "";
  const level = d.securityLevel ? `the level '${d.securityLevel}'` : "the threshold";
  const win = windowOf(d);
  if (win?.belowFloor) {
    const [clip, floor] = valueAndLimit(win.clipScore, win.floor);
    return `: this recording alone had similarity ${clip}, under the ${floor} any one recording must reach`;
  }
  const [score, threshold] = valueAndLimit(d.score, d.threshold);
  if (win && win.clips > 1) {
    const others = win.clips - 1;
    return `: similarity of this recording together with your ${others} previous one${others > 1 ? "s" : ""} ${score}, ${level} needs at least ${threshold} (this recording alone: ${num(win.clipScore)})`;
  }
  return d.decideOn === "distance"
    ? `: distance ${score}, ${level} accepts at most ${threshold}`
    : `: ${fusedOf(d) ? "combined face and voice score" : w.compare || "similarity"} ${score}, ${level} needs at least ${threshold}`;
}

/** A face registered from some of the pictures sent: which were left out and why (what the student was told then). */
function partOf(q: Record<string, unknown>): string {
  const { pictures_used: used, pictures_sent: sent, left_out: left } = q;
  if (typeof used !== "number" || typeof sent !== "number" || used >= sent) return "";
  // services/biometrics/face.ts registrationQuality: "images.1: liveness_failed, images.2: no_face".
  const why = typeof left === "string" && left !== ""
    ? left.split(", ").map((item) => {
        const [field, reason = ""] = item.split(": ");
        return `${field} ${REASON_TEXT[reason] ?? reason.replaceAll("_", " ")}`;
      })
    : [];
  const again = used < 3 ? "; register again with 3 good pictures so that you are refused less often" : "";
  return ` from ${used} of the ${sent} pictures sent; the others were left out${why.length > 0 ? ` (${why.join("; ")})` : ""}${again}`;
}

function core(d: DecisionRow): string {
  const w = WORDS[d.modality];
  const reason = d.reason ? (REASON_TEXT[d.reason] ?? d.reason.replaceAll("_", " ")) : null;
  const q = (d.quality ?? {}) as Record<string, unknown>;
  const liveness = typeof q.liveness === "number" ? ` (liveness score ${num(q.liveness)})` : "";
  if (d.action === "register") {
    if (d.outcome === "accepted") return `Your ${d.modality === "keystroke" ? "typing profile" : d.modality} was registered${partOf(q)}.`;
    return `The registration was refused: the sample ${reason ?? "could not be used"}${d.reason === "inconsistent_set" ? comparison(d, w) : ""}.`;
  }
  if (d.modality === "processes") {
    if (d.outcome === "flagged") {
      const names = ((d.alertsRaised ?? []) as { detail: string | null }[]).map((a) => a.detail).filter(Boolean);
      return `A program the exam forbids was running${names.length ? `: ${names.join(", ")}` : ""}.`;
    }
    return "No forbidden program was running.";
  }
  switch (d.outcome) {
    case "accepted":
      return `${w.sample} matched ${w.enrolled}${comparison(d, w)}.`;
    case "mismatch": {
      // A fused oral-exam frame: say which part did not match, and against what (a floor, or the combined score).
      const floor = fusedOf(d) ? floorOf(d) : "";
      if (fusedOf(d) && q.refused_for === "voice") return `The voice recorded with the picture did not match your registered voice${floor || comparison(d, w)}.`;
      if (fusedOf(d) && q.refused_for === "face+voice") return `Neither the picture nor the voice recorded with it matched what you registered${floor || comparison(d, w)}.`;
      return `${w.sample} did not match ${w.enrolled}${floor || comparison(d, w)}.`;
    }
    case "quality":
      return `${w.sample} ${reason ?? "could not be used"}${d.reason === "liveness_failed" ? liveness : ""}, so it was not compared with ${w.enrolled}.`;
    case "flagged":
      // A copy is not compared (src/biometrics/repeats.ts); the quality case says so itself (a probe read it twice).
      return `${w.sample} ${reason ?? "raised an alert"}${d.reason === "liveness_failed" ? liveness : ""}${d.reason === "repeated_sample" ? `, so it was not compared with ${w.enrolled}` : ""}.`;
    case "not_enrolled":
      return `There was nothing to compare ${w.sample.toLowerCase()} with: no ${d.modality} is registered for you.`;
  }
}

function consequence(d: DecisionRow): string {
  // Only what raised an alert is one (a clip without speech is recorded, not alerted); identification raises them too.
  const alerted = d.outcome !== "accepted" && ((d.alertsRaised ?? []) as unknown[]).length > 0 ? " Your instructor sees this as an alert." : "";
  if (d.action === "monitoring") return alerted;
  if ((d.action === "verify" || d.action === "identification") && d.examId !== null) {
    // A match after an instructor overturned an earlier face verification in the exam verifies nobody (exams/verification.ts).
    if (d.outcome === "accepted" && d.reason === "verification_withdrawn") {
      return " It did not verify you for the exam: your instructor had found an earlier face verification of yours in this exam wrong, so only a manual approval can.";
    }
    return d.outcome === "accepted" ? " You were marked verified for the exam." : ` You were not marked verified; you may try again or ask for manual approval.${alerted}`;
  }
  return alerted;
}

function review(d: DecisionRow): string {
  if (d.resolution === "overturned") return ` A person reviewed your contest and overturned this decision: ${d.resolutionReason ?? ""}`.trimEnd();
  if (d.resolution === "upheld") return ` A person reviewed your contest and upheld this decision: ${d.resolutionReason ?? ""}`.trimEnd();
  if (d.contestedAt !== null) return " You contested it; your instructor has not reviewed it yet.";
  return "";
}

/** The explanation the student (and their instructor) reads, e.g. "The picture matched your registered face: similarity 0.71, the level 'high' needs at least 0.44." */
export const explain = (d: DecisionRow): string => `${core(d)}${consequence(d)}${review(d)}`;
