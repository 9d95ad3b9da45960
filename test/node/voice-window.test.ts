// Voice monitoring's window of recent clips (src/biometrics/voice/window.ts): the decision rule and the
// in-memory store of recent clips. Stand-in speakers are embeddings of the shipped cohort (real background
// speakers); a clip between floor and threshold is made by mixing the student's embedding with another's.
import { describe, expect, it } from "vitest";
import { voiceCohort } from "../../src/biometrics/voice/cohort";
import { averageProbes, decideVoice } from "../../src/biometrics/voice/decide";
import { VOICE_OPERATING_POINTS } from "../../src/biometrics/voice/operating-points";
import { cosine, l2normalize } from "../../src/biometrics/voice/projection";
import { decideVoiceWindow, RecentVoiceClips, VOICE_WINDOW } from "../../src/biometrics/voice/window";

const cohort = voiceCohort();
const student = cohort.embeddings[0]!;
const score = (probe: Float32Array) => decideVoice(student, probe, "high", cohort).normalised;
/** The other cohort speaker who scores lowest against the student: a clear impostor. */
const impostor = cohort.embeddings.slice(1).reduce((a, b) => (score(a) <= score(b) ? a : b));
const mix = (alpha: number) => l2normalize(Float32Array.from(student, (x, i) => alpha * x + (1 - alpha) * impostor[i]!));
/** A clip of the student that fails `high` alone, but is above the floor and sounds like the student's others. */
function poorClip(): Float32Array {
  const threshold = VOICE_OPERATING_POINTS.high.threshold;
  for (let a = 0; a <= 1; a += 0.01) {
    const s = score(mix(a));
    if (s > VOICE_WINDOW.floor && s < threshold && cosine(mix(a), student) >= VOICE_WINDOW.sameSpeakerCosine) return mix(a);
  }
  throw new Error("no mixture between floor and threshold");
}

describe("decideVoiceWindow", () => {
  it("is the single-clip decision when there are no earlier clips", () => {
    const clip = poorClip();
    const d = decideVoiceWindow(student, clip, [], "high", cohort);
    const single = decideVoice(student, clip, "high", cohort);
    expect(d).toMatchObject({ isMatch: single.isMatch, normalised: single.normalised, clipScore: single.normalised, windowClips: 1, belowFloor: false });
    expect(d.isMatch).toBe(false);
  });

  it("accepts a poor clip of the student on the mean with the exam's earlier clips", () => {
    const clip = poorClip();
    const d = decideVoiceWindow(student, clip, [student, student], "high", cohort);
    expect(d.windowClips).toBe(3);
    expect(d.clipScore).toBeLessThan(VOICE_OPERATING_POINTS.high.threshold);
    expect(d.normalised).toBeCloseTo(decideVoice(student, averageProbes([student, student, clip]), "high", cohort).normalised, 6);
    expect(d.isMatch).toBe(true);
  });

  it("leaves out earlier clips of another voice, so a new speaker is decided on their own clip", () => {
    const clip = poorClip();
    const otherVoice = cohort.embeddings.reduce((a, b) => (cosine(a, clip) <= cosine(b, clip) ? a : b));
    expect(cosine(otherVoice, clip)).toBeLessThan(VOICE_WINDOW.sameSpeakerCosine);
    const d = decideVoiceWindow(student, clip, [otherVoice, student], "high", cohort);
    expect(d.windowClips).toBe(2); // the impostor's clip does not sound like this one
    const alone = decideVoiceWindow(student, impostor, [student, student], "high", cohort);
    expect(alone).toMatchObject({ windowClips: 1, isMatch: false });
    expect(alone.normalised).toBeCloseTo(alone.clipScore, 9);
  });

  it("refuses a clip under the floor even when it sounds enough like earlier clips to join their mean", () => {
    // Earlier clips that pass `high` and a much poorer clip near enough to them to be averaged in.
    const earlier = mix(0.66);
    const clip = mix(0.36);
    expect(cosine(clip, earlier)).toBeGreaterThanOrEqual(VOICE_WINDOW.sameSpeakerCosine);
    expect(decideVoice(student, averageProbes([earlier, earlier, clip]), "high", cohort).isMatch).toBe(true);
    const d = decideVoiceWindow(student, clip, [earlier, earlier], "high", cohort);
    expect(d).toMatchObject({ windowClips: 3, belowFloor: true, isMatch: false });
    expect(d.clipScore).toBeLessThan(VOICE_WINDOW.floor);
  });
});

describe("RecentVoiceClips", () => {
  const e = (x: number) => Float32Array.of(x);
  it("keeps the last clips of each exam, for the current template version, for maxAgeMs", () => {
    const r = new RecentVoiceClips();
    for (let i = 0; i < 5; i++) r.add(7, 1, 1000 + i, e(i));
    expect(r.earlier(7, 1, 1010).map((x) => x[0])).toEqual([3, 4]); // clips - 1 kept
    expect(r.earlier(8, 1, 1010)).toEqual([]); // another exam
    expect(r.earlier(7, 2, 1010)).toEqual([]); // re-enrolled or restored: a new template version
    expect(r.earlier(7, 1, 1004 + VOICE_WINDOW.maxAgeMs + 1)).toEqual([]); // aged out
    r.add(9, 1, 1004 + VOICE_WINDOW.maxAgeMs + 1, e(9)); // exam 7's clips are dropped from memory here
    expect(r.earlier(7, 1, 1004)).toEqual([]);
    r.clear();
    expect(r.earlier(9, 1, 1004 + VOICE_WINDOW.maxAgeMs + 1)).toEqual([]);
  });

  it("counts the same recording resent (a retry, several at once) as one clip", () => {
    // A probe's five concurrent resends of one clip made the next clip's window count it three times.
    const r = new RecentVoiceClips();
    r.add(7, 1, 1000, e(1));
    r.add(7, 1, 1001, e(1));
    r.add(7, 1, 1002, e(1));
    expect(r.earlier(7, 1, 1010).map((x) => x[0])).toEqual([1]);
    expect(r.earlier(7, 1, 1010, e(1))).toEqual([]); // the clip itself is not its own earlier clip
    expect(r.earlier(7, 1, 1010, e(2)).map((x) => x[0])).toEqual([1]);
  });
});
