// Face + voice fusion for oral exams: calibrates each modality to a log-likelihood ratio, fuses by summing,
// sets FUSION_OPERATING_POINTS and measures how much fusion cuts false matches. From the repository root:
//   npx tsx bench/fusion.ts        # ~10 min on 2 busy cores, with the voice feature cache and the face embedding cache
// Face embeddings: FACE_EMBEDDINGS=<file> or the service model's cache /tmp/face-embeddings/<FACE_MODEL_ID>.json
// ({"model","dim","items":[{"file","identity","embedding"}]}, written by bench/face-calibration.ts).
//
// CHIMERIC USERS: no data set has both the face and the voice of the same people, so each "user" is a face
// identity paired at random (fixed seed) with a speaker. This assumes the two modalities are independent given
// the person, which is the usual (optimistic) assumption of chimeric fusion studies.
// - calibration and CV: the 251 background speakers (5 speaker-disjoint folds, bench/voice-scores.ts) paired
//   with 251 LFW identities (role `calibration`, >= 2 images). For each fold, the calibrations and the
//   thresholds are fitted on the other four folds' users (cross-fitting); figures are on the fold's users.
// - eval: the 5 eval speakers paired with 5 of the `verification` face identities (face-api.js and
//   face_recognition), scored with the shipped calibration and thresholds (nothing fitted on them).
// Face trials of user u against claimed user v: cosine of u's template (its first image) and each other image of
// v. Voice trials as in voice-levels. The fused levels follow the FACE levels' rules (FMR 0.01 % high, 0.1 %
// standard, as the face calibration uses), because the fused score replaces the face decision of
// monitoring_face_oral and must not be looser than it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FACE_MODEL_ID } from "../src/biometrics/face/policy";
import { decideFused, FUSION_CALIBRATION, FUSION_FLOORS, FUSION_OPERATING_POINTS, fuseFaceVoice, llr, type FusionCalibration } from "../src/biometrics/fusion";
import { VOICE_COHORT_TOP_K, VOICE_SCORING } from "../src/biometrics/voice/cohort";
import { VOICE_OPERATING_POINTS_MODEL_ID } from "../src/biometrics/voice/operating-points";
import { fitJoint, fitLogistic } from "./calibrate";
import { detSvg } from "./det-svg";
import { fmrAt, fmtRate, fnmrAt, measured, thresholdForFmr } from "./rates";
import { voiceBackground, evalClips } from "./voice-data";
import { cvTrials, evalTrials, shippedScoring, type VoiceTrial } from "./voice-scores";
import { VOICE_LEVEL_RULES } from "./voice-level-rules";

/** The face levels' false-match targets (the face calibration bench), applied to the fused score. */
const FUSION_LEVEL_RULES = { high: 0.0001, standard: 0.001 } as const;

type FaceItem = { file: string; identity: string; embedding: number[] };

function loadFaces(): FaceItem[] {
  // The service's own model: the fusion is calibrated on its scores (other models' caches sit beside it).
  const path = process.env.FACE_EMBEDDINGS ?? join("/tmp/face-embeddings", `${FACE_MODEL_ID}.json`);
  if (!existsSync(path)) throw new Error(`no face embedding cache at ${path}: run bench/face-calibration.ts or set FACE_EMBEDDINGS`);
  const text = readFileSync(path, "utf8");
  const items: FaceItem[] = path.endsWith(".jsonl") ? text.trim().split("\n").map((l) => JSON.parse(l)) : JSON.parse(text).items;
  // Images where no face was found carry no embedding (the service refuses those frames before any score).
  const usable = items.filter((i) => Array.isArray(i.embedding));
  console.log(`face embeddings: ${usable.length} images with a face (of ${items.length}) from ${path}`);
  return usable;
}

const cos = (a: number[], b: number[]) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! * a[i]!; bb += b[i]! * b[i]!; }
  return ab / Math.sqrt(aa * bb);
};

/** Deterministic shuffle (mulberry32), so the random pairing is the same on every run. */
function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Fused { genuine: boolean; face: number; voice: number; fold: number }

/**
 * Combines every voice trial of user u against claimed user v with every face trial of the same pair: u's
 * template (its first image) against each image of v other than v's own template image. This multiplies the
 * trials (face scores and voice scores are each reused), so the intervals below count correlated trials.
 */
function chimeric(voice: VoiceTrial[], faceOf: Map<string, FaceItem[]>): Fused[] {
  const out: Fused[] = [];
  for (const t of voice) {
    const mine = faceOf.get(t.enrol)!;
    const theirs = faceOf.get(t.probe)!;
    for (const probe of theirs.slice(1)) out.push({ genuine: t.genuine, face: cos(mine[0]!.embedding, probe.embedding), voice: t.normalised, fold: t.fold });
  }
  return out;
}

type Key = "face" | "voice" | "fused";
/** The fused score as the service decides on it: a modality under its floor (FUSION_FLOORS) refuses the trial
 * whatever the sum (-Infinity), so the level thresholds are chosen on the decision the service takes. */
const fusedWithFloors = (t: Fused, cal: FusionCalibration) =>
  t.face < FUSION_FLOORS.faceCosine || t.voice < FUSION_FLOORS.voiceNormalised ? -Infinity : fuseFaceVoice(t.face, t.voice, cal);
const scoreOf = (t: Fused, key: Key | "fusedFloors", cal: FusionCalibration) =>
  key === "fusedFloors" ? fusedWithFloors(t, cal) : key === "fused" ? fuseFaceVoice(t.face, t.voice, cal) : key === "face" ? llr(t.face, cal.face) : llr(t.voice, cal.voice);
const gi = (ts: Fused[], key: Key | "fusedFloors", cal: FusionCalibration) => ({
  genuine: ts.filter((t) => t.genuine).map((t) => scoreOf(t, key, cal)),
  impostor: ts.filter((t) => !t.genuine).map((t) => scoreOf(t, key, cal)),
});
// FUSION_MODE=separate calibrates each modality on its own and adds the LLRs; the default fits both weights
// jointly (linear logistic fusion), which BENCHMARKS.md compares.
const JOINT = process.env.FUSION_MODE !== "separate";
function fitCalibration(ts: Fused[]): FusionCalibration {
  const g = ts.filter((t) => t.genuine), i = ts.filter((t) => !t.genuine);
  if (JOINT) {
    const ids: [string, string] = [FACE_MODEL_ID, `${VOICE_OPERATING_POINTS_MODEL_ID}+${VOICE_SCORING}`];
    const [face, voice] = fitJoint(g.map((t) => [t.face, t.voice]), i.map((t) => [t.face, t.voice]), ids);
    return { face, voice };
  }
  return {
    face: fitLogistic(g.map((t) => t.face), i.map((t) => t.face), FACE_MODEL_ID),
    voice: fitLogistic(g.map((t) => t.voice), i.map((t) => t.voice), `${VOICE_OPERATING_POINTS_MODEL_ID}+${VOICE_SCORING}`),
  };
}

/** Cross-fitted rates: calibration and threshold from the other folds, errors on the fold. */
function crossFitted(ts: Fused[], key: Key | "fusedFloors", rule: (train: { genuine: number[]; impostor: number[] }) => number) {
  let fm = 0, fnm = 0, ni = 0, ng = 0;
  const scored: { genuine: number[]; impostor: number[] } = { genuine: [], impostor: [] };
  for (const k of [...new Set(ts.map((t) => t.fold))]) {
    const train = ts.filter((t) => t.fold !== k);
    const cal = fitCalibration(train);
    const thr = rule(gi(train, key, cal));
    const test = gi(ts.filter((t) => t.fold === k), key, cal);
    fm += fmrAt(test.impostor, thr);
    fnm += fnmrAt(test.genuine, thr);
    ni += test.impostor.length;
    ng += test.genuine.length;
    scored.genuine.push(...test.genuine);
    scored.impostor.push(...test.impostor);
  }
  return { fmr: measured(fm, ni), fnmr: measured(fnm, ng), scored };
}

const byFmr = (f: number) => (s: { impostor: number[] }) => thresholdForFmr(s.impostor, f);
const byFnmr = (f: number) => (s: { genuine: number[] }) => {
  const g = [...s.genuine].sort((a, b) => a - b);
  return g[Math.floor(f * g.length)]! - 1e-9; // rejects at most a fraction f of genuine trials
};

async function main() {
  const faces = loadFaces();
  const byId = new Map<string, FaceItem[]>();
  for (const f of faces) byId.set(f.identity, [...(byId.get(f.identity) ?? []), f]);
  for (const v of byId.values()) v.sort((a, b) => a.file.localeCompare(b.file));
  const lfw = [...byId.entries()].filter(([, v]) => v[0]!.file.startsWith("lfw") && v.length >= 2).map(([k]) => k).sort();
  const verification = [...byId.entries()].filter(([k, v]) => !v[0]!.file.startsWith("lfw") && !k.startsWith("_") && v.length >= 2).map(([k]) => k).sort();

  const data = await voiceBackground();
  const bg = data.bg;
  const clips = await evalClips();
  const speakersBg = bg.map((u) => u.speaker);
  const speakersEval = [...new Set(clips.map((c) => c.speaker))];
  if (lfw.length < speakersBg.length || verification.length < speakersEval.length) throw new Error("not enough face identities in the cache");
  const faceOf = new Map<string, FaceItem[]>();
  shuffle(lfw, 16).slice(0, speakersBg.length).forEach((id, i) => faceOf.set(speakersBg[i]!, byId.get(id)!));
  shuffle(verification, 16).slice(0, speakersEval.length).forEach((id, i) => faceOf.set(speakersEval[i]!, byId.get(id)!));
  console.log(`chimeric users: ${speakersBg.length} background speakers x LFW identities (CV), ${speakersEval.length} eval speakers x verification identities (eval); pairing seed 16`);

  const cv = chimeric(cvTrials(data, VOICE_COHORT_TOP_K), faceOf);
  const { proj, cohort } = shippedScoring(data, VOICE_COHORT_TOP_K);
  const ev = chimeric(evalTrials(clips, proj, cohort, "clean", 1), faceOf);
  console.log(`CV: ${cv.filter((t) => t.genuine).length} genuine / ${cv.filter((t) => !t.genuine).length} impostor trials; eval: ${ev.filter((t) => t.genuine).length} / ${ev.filter((t) => !t.genuine).length}`);

  const cal = fitCalibration(cv);
  console.log(`calibration on all CV users: face llr = ${cal.face.slope} * cosine + ${cal.face.offset}; voice llr = ${cal.voice.slope} * normalised + ${cal.voice.offset}`);

  console.log("\nFMR at equal FNMR (CV held-out, calibration and threshold from the other folds):");
  for (const fnmr of [0.01, 0.02, 0.05]) {
    const row = (["voice", "face", "fused"] as const).map((k) => {
      const r = crossFitted(cv, k, byFnmr(fnmr));
      return `${k}: FMR ${fmtRate(r.fmr)} at FNMR ${fmtRate(r.fnmr)}`;
    });
    console.log(`  target FNMR ${(fnmr * 100).toFixed(0)} %: ${row.join(" | ")}`);
  }

  console.log("\nFNMR at equal FMR (the voice and the face level rules; CV held-out):");
  for (const [level, f] of [...Object.entries(VOICE_LEVEL_RULES).map(([l, f]) => [`voice ${l}`, f] as const), ...Object.entries(FUSION_LEVEL_RULES).map(([l, f]) => [`face/fused ${l}`, f] as const)]) {
    const row = (["voice", "face", "fused"] as const).map((k) => {
      const r = crossFitted(cv, k, byFmr(f));
      return `${k}: FNMR ${fmtRate(r.fnmr)} at FMR ${fmtRate(r.fmr)}`;
    });
    console.log(`  ${level} (FMR ${(f * 100).toFixed(2)} %): ${row.join(" | ")}`);
  }

  const points: Record<string, unknown> = {};
  const markers = [];
  for (const [level, f] of Object.entries(FUSION_LEVEL_RULES)) {
    // With the floors, few impostor trials are left to set the threshold by: it never goes under LLR 0 (the fused
    // evidence must at least favour the student).
    const rule = (sc: { impostor: number[] }) => Math.max(0, byFmr(f)(sc));
    const r = crossFitted(cv, "fusedFloors", rule);
    const thr = Number(rule(gi(cv, "fusedFloors", cal)).toFixed(3));
    const e = gi(ev, "fusedFloors", cal);
    const evm = { fmr: measured(fmrAt(e.impostor, thr), e.impostor.length), fnmr: measured(fnmrAt(e.genuine, thr), e.genuine.length) };
    console.log(`\n${level} (FMR ${(f * 100).toFixed(2)} % rule, with the floors): fused threshold ${thr}`);
    console.log(`  CV held-out: FMR ${fmtRate(r.fmr)}  FNMR ${fmtRate(r.fnmr)}`);
    console.log(`  eval (5 chimeric users): FMR ${fmtRate(evm.fmr)}  FNMR ${fmtRate(evm.fnmr)}`);
    points[level] = { decideOn: "similarity", threshold: thr, measured: { fmr: r.fmr, fnmr: r.fnmr } };
    markers.push({ label: level, fmr: r.fmr.rate, fnmr: r.fnmr.rate, colour: level === "high" ? "#c00" : "#06c" });
  }
  console.log(`\noperating points: ${JSON.stringify(points)}`);

  // The shipped decision (shipped calibration and thresholds, fitted on all CV users: in-sample for the first two
  // rows) with and without the floors, and against one modality from another person: the student's own voice with
  // another person's face (the student answering off camera, or a recording), and the student's own face with
  // another person's voice (someone else answering). Those pairs take genuine trials' scores of one modality and
  // impostor trials' scores of the other, paired at random (fixed seed), as the chimeric protocol pairs people.
  // FUSION_FLOOR_FACE / FUSION_FLOOR_VOICE try other floors in this section (the shipped ones otherwise).
  const floors = { faceCosine: Number(process.env.FUSION_FLOOR_FACE ?? FUSION_FLOORS.faceCosine), voiceNormalised: Number(process.env.FUSION_FLOOR_VOICE ?? FUSION_FLOORS.voiceNormalised) };
  console.log(`\nshipped decision, floors face cosine >= ${floors.faceCosine}, voice normalised >= ${floors.voiceNormalised} (CV trials):`);
  const gen = cv.filter((t) => t.genuine);
  const imp = cv.filter((t) => !t.genuine);
  const pick = <T,>(xs: T[], n: number, seed: number) => shuffle(xs, seed).slice(0, n);
  const mixedFace = pick(gen, 20000, 3).map((g, i) => ({ face: imp[(i * 7919) % imp.length]!.face, voice: g.voice }));
  const mixedVoice = pick(gen, 20000, 5).map((g, i) => ({ face: g.face, voice: imp[(i * 7919) % imp.length]!.voice }));
  for (const [level, point] of Object.entries(FUSION_OPERATING_POINTS)) {
    const rate = (ts: { face: number; voice: number }[], withFloors: boolean) =>
      measured(ts.filter((t) => (withFloors ? decideFused(t.face, t.voice, point, FUSION_CALIBRATION, floors).isMatch : fuseFaceVoice(t.face, t.voice, FUSION_CALIBRATION) >= point.threshold)).length, ts.length);
    for (const on of [false, true]) {
      console.log(
        `  ${level} ${point.threshold}${on ? ", with floors" : ", no floors   "}: genuine refused ${fmtRate(measured(gen.length - rate(gen, on).errors, gen.length))}; ` +
          `impostors accepted ${fmtRate(rate(imp, on))}; own voice + another face accepted ${fmtRate(rate(mixedFace, on))}; own face + another voice accepted ${fmtRate(rate(mixedVoice, on))}`,
      );
    }
  }
  console.log(`calibration: ${JSON.stringify(cal)}`);

  if (!JOINT) return; // the comparison run does not redraw the picture of the shipped fusion
  const curves = (["voice", "face", "fused"] as const).map((k, i) => ({ label: `${k} (CV held-out)`, ...crossFitted(cv, k, byFmr(0.01)).scored, colour: ["#2a2", "#a5a", "#000"][i]!, similarity: true }));
  const note =
    "Chimeric users: LFW face identities paired at random with background speakers (no data set has both).\n" +
    "Cross-fitted over 5 folds of users (calibration and thresholds from the other folds). Circles: the fused levels.\n" +
    "Made by: npx tsx bench/fusion.ts";
  writeFileSync("docs/fusion-det.svg", detSvg("Face + voice fusion, chimeric users", curves, markers, note, 0.00005));
  console.log("wrote docs/fusion-det.svg");
}

await main();
