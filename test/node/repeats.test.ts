// The repeated-sample memory of exam monitoring (src/biometrics/repeats.ts) and the alert it raises.
import { describe, expect, it } from "vitest";
import { digestOf, MemoryDigests, RecentSamples, REPEAT_MEMORY, repeatedPair } from "../../src/biometrics/repeats";
import { alertsFor } from "../../src/services/monitoring/results";

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const GRACE = REPEAT_MEMORY.resendGraceMs;

describe("RecentSamples", () => {
  it("finds an exact copy of an earlier sample of the same exam and modality, and says how long ago it came", async () => {
    const r = new RecentSamples(new MemoryDigests());
    expect(await r.check("face", 1, 1000, unit(1, 0, 0))).toBeNull();
    expect(await r.check("face", 1, 5000, unit(0, 1, 0))).toBeNull(); // another frame
    expect(await r.check("face", 1, 61_000, unit(1, 0, 0))).toBe(60_000); // the first frame again
    expect(await r.check("face", 2, 61_500, unit(1, 0, 0))).toBeNull(); // another exam
    expect(await r.check("voice", 1, 61_600, unit(1, 0, 0))).toBeNull(); // another modality
    // The smallest difference is another capture (a live camera's next frame differs at least this much).
    expect(await r.check("face", 1, 62_000, unit(1, 1e-4, 0))).toBeNull();
  });

  it("takes a copy within resendGraceMs for a client's retry, and still catches a loop faster than that", async () => {
    const r = new RecentSamples(new MemoryDigests());
    const frame = unit(1, 2, 3);
    expect(await r.check("face", 1, 0, frame)).toBeNull();
    expect(await r.check("face", 1, 2000, frame)).toBeNull(); // a retry 2 s later
    // The same frame every 10 s: flagged once the first copy is older than the grace.
    const flagged = [];
    for (const t of [10_000, 20_000, 30_000, 40_000]) flagged.push(await r.check("face", 1, t, frame));
    expect(flagged).toEqual([null, null, GRACE, 40_000]);
  });

  it("forgets samples older than maxAgeMs, and on clear", async () => {
    const r = new RecentSamples(new MemoryDigests());
    await r.check("face", 1, 0, unit(1, 0, 0));
    expect(await r.check("face", 1, REPEAT_MEMORY.maxAgeMs + 1, unit(1, 0, 0))).toBeNull();
    await r.check("voice", 3, 0, unit(1, 0));
    await r.check("face", 3, 0, unit(1, 0));
    r.clear("voice");
    expect(await r.check("voice", 3, GRACE, unit(1, 0))).toBeNull();
    expect(await r.check("face", 3, GRACE, unit(1, 0))).toBe(GRACE); // the face samples stay
    r.clear();
    expect(await r.check("face", 3, 2 * GRACE, unit(1, 0))).toBeNull();
  });

  it("digests an embedding bit for bit: equal for the same values, different for any change", async () => {
    expect(await digestOf([0.1, 0.2, 0.3])).toBe(await digestOf(Float32Array.of(0.1, 0.2, 0.3)));
    expect(await digestOf([0.1, 0.2, 0.3])).not.toBe(await digestOf([0.1, 0.2, 0.3000001]));
    expect(await digestOf([0.1, 0.2, 0.3])).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("repeated samples within one enrolment", () => {
  it("names the first two samples that are the same capture", () => {
    expect(repeatedPair([unit(1, 0), unit(0, 1), unit(1, 0)], "face")).toEqual([0, 2]);
    expect(repeatedPair([unit(1, 0), unit(0, 1)], "face")).toBeNull();
  });
});

describe("the repeated_sample alert", () => {
  it("is raised instead of a match or mismatch, naming the modality", () => {
    expect(alertsFor({ faceDetected: true, multipleFaces: false, faceRepeated: true }, [])).toEqual([{ reason: "repeated_sample", detail: "face" }]);
    expect(alertsFor({ voiceDetected: true, voiceRepeated: true }, [])).toEqual([{ reason: "repeated_sample", detail: "voice" }]);
  });
});
