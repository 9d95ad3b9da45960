// The repeated-sample memory of exam monitoring (src/biometrics/repeats.ts) and the alert it raises.
import { describe, expect, it } from "vitest";
import { RecentSamples, REPEAT_COSINE, REPEAT_MEMORY } from "../../src/biometrics/repeats";
import { alertsFor } from "../../src/services/monitoring/results";

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe("RecentSamples", () => {
  it("finds a copy of an earlier sample of the same exam and modality, and says how long ago it came", () => {
    const r = new RecentSamples();
    expect(r.check("face", 1, 1000, unit(1, 0, 0))).toBeNull();
    expect(r.check("face", 1, 5000, unit(0, 1, 0))).toBeNull(); // another frame
    expect(r.check("face", 1, 61_000, unit(1, 0, 0))).toBe(60_000); // the first frame again
    expect(r.check("face", 2, 61_500, unit(1, 0, 0))).toBeNull(); // another exam
    expect(r.check("voice", 1, 61_600, unit(1, 0, 0))).toBeNull(); // another modality
  });

  it("takes a copy within resendGraceMs for a client's retry, and still catches a loop faster than that", () => {
    const r = new RecentSamples();
    const frame = unit(1, 2, 3);
    expect(r.check("face", 1, 0, frame)).toBeNull();
    expect(r.check("face", 1, 2000, frame)).toBeNull(); // a retry 2 s later
    // The same frame every 10 s: flagged once the first copy is older than the grace.
    const flagged = [10_000, 20_000, 30_000, 40_000].map((t) => r.check("face", 1, t, frame));
    expect(flagged).toEqual([null, null, REPEAT_MEMORY.resendGraceMs, 40_000]);
  });

  it("draws the line at the modality's cosine: a near copy is a repeat, a live capture's difference is not", () => {
    const r = new RecentSamples();
    const angle = (c: number) => unit(c, Math.sqrt(1 - c * c), 0);
    const later = REPEAT_MEMORY.resendGraceMs;
    r.check("face", 1, 0, unit(1, 0, 0));
    expect(r.check("face", 1, later, angle(REPEAT_COSINE.face + (1 - REPEAT_COSINE.face) / 2))).toBe(later);
    const s = new RecentSamples();
    s.check("voice", 1, 0, unit(1, 0, 0));
    expect(s.check("voice", 1, later, angle(REPEAT_COSINE.voice - 0.001))).toBeNull();
  });

  it("forgets samples older than maxAgeMs, beyond the last `samples`, and on clear", () => {
    const r = new RecentSamples();
    r.check("face", 1, 0, unit(1, 0, 0));
    expect(r.check("face", 1, REPEAT_MEMORY.maxAgeMs + 1, unit(1, 0, 0))).toBeNull();
    const s = new RecentSamples();
    const later = REPEAT_MEMORY.resendGraceMs;
    s.check("face", 1, 0, unit(1, 0));
    for (let i = 1; i <= REPEAT_MEMORY.samples; i++) s.check("face", 1, i, unit(0, 1, i)); // pushes the first out
    expect(s.check("face", 1, later, unit(1, 0))).toBeNull();
    s.check("voice", 3, later, unit(1, 0));
    s.clear("voice");
    expect(s.check("voice", 3, 2 * later, unit(1, 0))).toBeNull();
    expect(s.check("face", 1, 2 * later, unit(1, 0))).toBe(later); // the face samples stay
    s.clear();
    expect(s.check("face", 1, 3 * later, unit(1, 0))).toBeNull();
  });
});

describe("the repeated_sample alert", () => {
  it("is raised instead of a match or mismatch, naming the modality", () => {
    expect(alertsFor({ faceDetected: true, multipleFaces: false, faceRepeated: true }, [])).toEqual([{ reason: "repeated_sample", detail: "face" }]);
    expect(alertsFor({ voiceDetected: true, voiceRepeated: true }, [])).toEqual([{ reason: "repeated_sample", detail: "voice" }]);
  });
});
