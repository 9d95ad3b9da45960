// Voice monitoring on a window of recent clips (issue 16 part 2: "longer or repeated probes during monitoring").
// From the repository root:
//   npx tsx bench/voice-monitoring-window.ts   # ~1-2 min with the feature cache (/tmp/trustid-voice), ~4 min without
//
// The rule measured (src/biometrics/voice/window.ts): a monitoring clip is decided on the L2-normalised mean of
// its embedding and the student's previous clips of the same exam (up to VOICE_WINDOW.clips in all, within
// VOICE_WINDOW.maxAgeMs), at the level's threshold; and a clip whose own score is below the level's floor (a score
// genuine 3 s clips rarely reach) is a mismatch whatever its neighbours say, so that a takeover is not averaged away.
//
// Calibration (background speakers only): the floors are the 1st percentile of genuine scores in the 5-fold
// speaker-disjoint CV of bench/voice-scores.ts (3 s enrolment vs 3 s probe, clean + Opus), cross-fitted per fold.
// Measured on the 5 eval speakers, never used for any choice, with the projection, PLDA and cohort the service
// ships (fitted on background), in two settings:
//  - "short": enrolment = the first 3 s of one clip (the CV's condition, where single clips fail most), probes =
//    the first 3 s of the speaker's other 9 clips in order (a monitoring sequence);
//  - "service": enrolment = 3 whole clips (the service's minimum), probes = the first 3 s of the other 7 clips.
// Reported per level: the per-clip false alert rate of a genuine student (single clip vs window), the per-clip
// false-match rate of an impostor speaking from the start, and for a takeover (2 genuine clips, then the
// impostor's clips) the share caught at the impostor's 1st, by the 2nd and by the 3rd clip.
import { VOICE_OPERATING_POINTS } from "../src/biometrics/voice/operating-points";
import { averageProbes } from "../src/biometrics/voice/decide";
import { VOICE_COHORT_TOP_K } from "../src/biometrics/voice/cohort";
import { cohortStats, scoreVoice, type VoiceCohort } from "../src/biometrics/voice/score";
import { cosine, projectStats, type LinearProjection } from "../src/biometrics/voice/projection";
import { meanEmbedding } from "../src/biometrics/voice/voice";
import { decideVoiceWindow, VOICE_WINDOW } from "../src/biometrics/voice/window";
import type { SecurityLevel } from "../src/biometrics/security-level";
import { voiceBackground, evalClips, type EvalClip } from "./voice-data";
import { cvTrials, shippedScoring } from "./voice-scores";
import { fmtRate, measured } from "./rates";

type Level = keyof typeof VOICE_OPERATING_POINTS;
const LEVELS = Object.keys(VOICE_OPERATING_POINTS) as Level[];
const FLOOR_FNMR = [0.005, 0.01, 0.02];

/** The score below which `fnmr` of the genuine scores fall. */
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * xs.length)]!;

interface Enrolment {
  speaker: string;
  template: Float32Array;
  stats: ReturnType<typeof cohortStats>;
  /** The speaker's own probe clips in order (embeddings). */
  own: Float32Array[];
}

function enrolments(clips: EvalClip[], proj: LinearProjection, cohort: VoiceCohort, setting: "short" | "service"): Enrolment[] {
  const speakers = [...new Set(clips.map((c) => c.speaker))];
  const out: Enrolment[] = [];
  for (const s of speakers) {
    const own = clips.filter((c) => c.speaker === s);
    for (let r = 0; r < own.length; r++) {
      const enrolled = setting === "short" ? [own[r]!] : [0, 1, 2].map((o) => own[(r + o) % own.length]!);
      const template =
        setting === "short" ? meanEmbedding([projectStats(own[r]!.first3, proj)]) : meanEmbedding(enrolled.map((c) => projectStats(c.clean, proj)));
      // Probes in the order they would come: the clips after the enrolled ones, wrapping round.
      const rest = own.map((_, k) => own[(r + enrolled.length + k) % own.length]!).slice(0, own.length - enrolled.length);
      out.push({ speaker: s, template, stats: cohortStats(template, cohort), own: rest.map((c) => projectStats(c.first3, proj)) });
    }
  }
  return out;
}

type Rule = { threshold: number; floor: number; clips: number; consistency?: number; shipped?: SecurityLevel };

/** The window rule's decision for the last clip of `clips` (earlier ones are the window). */
function decide(e: Enrolment, cohort: VoiceCohort, clips: Float32Array[], rule: Rule): boolean {
  // The shipped rule through the service's own function, so the figures are those of the code.
  if (rule.shipped) return decideVoiceWindow(e.template, clips[clips.length - 1]!, clips.slice(0, -1), rule.shipped, cohort).isMatch;
  const last = clips[clips.length - 1]!;
  const own = scoreVoice(e.template, last, cohort, e.stats).normalised;
  if (own < rule.floor) return false;
  let window = clips.slice(-rule.clips);
  // Only earlier clips that sound like the same speaker as this one (cosine of the two clips' embeddings).
  if (rule.consistency !== undefined) window = [...window.slice(0, -1).filter((c) => cosine(c, last) >= rule.consistency!), last];
  const mean = window.length === 1 ? last : averageProbes(window);
  return scoreVoice(e.template, mean, cohort, e.stats).normalised >= rule.threshold;
}

function measure(es: Enrolment[], speakerClips: Map<string, Float32Array[]>, cohort: VoiceCohort, rule: Rule) {
  let alerts = 0, genuineClips = 0, fm = 0, impostorClips = 0, takeovers = 0;
  const caught = [0, 0, 0];
  for (const e of es) {
    // A genuine student's sequence: every clip after the first has its predecessors in the window.
    for (let t = 0; t < e.own.length; t++) {
      genuineClips++;
      if (!decide(e, cohort, e.own.slice(0, t + 1), rule)) alerts++;
    }
    for (const [speaker, imp] of speakerClips) {
      if (speaker === e.speaker) continue;
      // An impostor speaking from the start: all 10 of their clips in order.
      for (let t = 0; t < imp.length; t++) {
        impostorClips++;
        if (decide(e, cohort, imp.slice(0, t + 1), rule)) fm++;
      }
      // A takeover: two genuine clips, then the impostor's first three.
      takeovers++;
      const seq = e.own.slice(0, 2);
      for (let t = 0; t < 3; t++) {
        seq.push(imp[t]!);
        if (!decide(e, cohort, seq, rule)) {
          for (let u = t; u < 3; u++) caught[u]!++;
          break;
        }
      }
    }
  }
  return { alerts: measured(alerts, genuineClips), fmr: measured(fm, impostorClips), caught: caught.map((c) => measured(c, takeovers)) };
}

async function main() {
  const data = await voiceBackground();
  const bg = data.bg;
  const clips = await evalClips();
  const cv = cvTrials(data, VOICE_COHORT_TOP_K);
  const genuineCv = cv.filter((t) => t.genuine).map((t) => t.normalised);
  console.log(`background CV genuine trials: ${genuineCv.length}; floors at genuine-FNMR ${FLOOR_FNMR.map((q) => `${q * 100} %: ${quantile(genuineCv, q).toFixed(3)}`).join(", ")}`);
  // Cross-fitted view of the floor: per fold, floor from the other folds, share of the fold's genuine clips below it.
  for (const q of FLOOR_FNMR) {
    let below = 0, n = 0;
    for (let k = 0; k < 5; k++) {
      const floor = quantile(cv.filter((t) => t.genuine && t.fold !== k).map((t) => t.normalised), q);
      const own = cv.filter((t) => t.fold === k);
      below += own.filter((t) => t.genuine && t.normalised < floor).length;
      n += own.filter((t) => t.genuine).length;
    }
    const imp = cv.filter((t) => !t.genuine);
    const floor = quantile(genuineCv, q);
    console.log(`  floor at ${q * 100} %: CV held-out genuine below ${fmtRate(measured(below, n))}; CV impostor clips below (caught alone) ${fmtRate(measured(imp.filter((t) => t.normalised < floor).length, imp.length))}`);
  }

  // The speaker-change gate: raw cosines of two 3 s clips of one speaker (CV genuine trials) and of two speakers.
  const rawG = cv.filter((t) => t.genuine).map((t) => t.raw);
  const rawI = cv.filter((t) => !t.genuine).map((t) => t.raw);
  for (const q of [0.02, 0.05, 0.1]) {
    const c = quantile(rawG, q);
    console.log(`  cosine gate at same-speaker pairs refused ${q * 100} %: ${c.toFixed(3)}; different-speaker pairs passing ${fmtRate(measured(rawI.filter((x) => x >= c).length, rawI.length))}`);
  }
  const { proj, cohort } = shippedScoring(data, VOICE_COHORT_TOP_K);
  for (const setting of ["short", "service"] as const) {
    const es = enrolments(clips, proj, cohort, setting);
    const speakerClips = new Map<string, Float32Array[]>();
    for (const c of clips) speakerClips.set(c.speaker, [...(speakerClips.get(c.speaker) ?? []), projectStats(c.first3, proj)]);
    console.log(`\neval, ${setting} enrolment (${es.length} enrolments, probes = first 3 s of the speaker's next clips)`);
    console.log("| level | rule | genuine false alerts per clip | impostor FMR per clip | takeover caught at 1st / by 2nd / by 3rd clip |");
    console.log("|---|---|---|---|---|");
    for (const level of LEVELS) {
      const threshold = VOICE_OPERATING_POINTS[level].threshold;
      const rules: [string, Rule][] = [
        ["single clip (before)", { threshold, floor: -Infinity, clips: 1 }],
        ...[2, 3].flatMap((n) =>
          FLOOR_FNMR.map((q) => [`window ${n}, floor at CV FNMR ${q * 100} %`, { threshold, floor: quantile(genuineCv, q), clips: n }] as [string, Rule]),
        ),
        ...[0.15, 0.3, 0.45].flatMap((c) =>
          [-Infinity, quantile(genuineCv, 0.02)].map(
            (f) => [`window 3, clips with cosine >= ${c} to this one, ${f === -Infinity ? "no floor" : "floor at CV FNMR 2 %"}`, { threshold, floor: f, clips: 3, consistency: c }] as [string, Rule],
          ),
        ),
        [
          `**shipped: window ${VOICE_WINDOW.clips}, clips with cosine >= ${VOICE_WINDOW.sameSpeakerCosine} to this one, floor ${VOICE_WINDOW.floor}**`,
          { threshold, floor: VOICE_WINDOW.floor, clips: VOICE_WINDOW.clips, consistency: VOICE_WINDOW.sameSpeakerCosine, shipped: level },
        ],
      ];
      for (const [name, rule] of rules) {
        const m = measure(es, speakerClips, cohort, rule);
        console.log(`| \`${level}\` | ${name} | ${fmtRate(m.alerts)} | ${fmtRate(m.fmr)} | ${m.caught.map((c) => `${(100 * c.rate).toFixed(1)} %`).join(" / ")} (${m.caught[0]!.trials}) |`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
