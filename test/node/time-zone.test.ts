// Local date-times (sent without a UTC offset) read in an institution's time zone (issue 18 part 4).
import { describe, expect, it } from "vitest";
import { isTimeZone, localToInstant } from "../../src/lib/time-zone";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

describe("localToInstant", () => {
  it("reads a wall-clock time in the zone, in and out of daylight-saving time", () => {
    expect(iso(localToInstant("2026-06-01T09:00:00", "Europe/Athens"))).toBe("2026-06-01T06:00:00.000Z"); // EEST, +3
    expect(iso(localToInstant("2026-01-15 09:00", "Europe/Athens"))).toBe("2026-01-15T07:00:00.000Z"); // EET, +2
    expect(iso(localToInstant("2026-06-01T09:00:00.250", "UTC"))).toBe("2026-06-01T09:00:00.250Z");
    expect(iso(localToInstant("2026-06-01T09:00", "America/New_York"))).toBe("2026-06-01T13:00:00.000Z");
  });

  it("a skipped hour is read with the offset before the change; a repeated hour as its first occurrence", () => {
    // Europe/Athens: 2026-03-29 03:00 -> 04:00; 2026-10-25 04:00 -> 03:00.
    expect(iso(localToInstant("2026-03-29T03:30:00", "Europe/Athens"))).toBe("2026-03-29T01:30:00.000Z");
    expect(iso(localToInstant("2026-10-25T03:30:00", "Europe/Athens"))).toBe("2026-10-25T00:30:00.000Z");
  });

  it("refuses what is not a local date-time or names no real day", () => {
    for (const bad of ["2026-02-30T09:00:00", "2026-13-01T09:00", "2026-06-01", "tomorrow", "2026-06-01T25:00", "2026-06-01T09:00:00Z"]) {
      expect(localToInstant(bad, "UTC"), bad).toBeNull();
    }
    expect(isTimeZone("Asia/Nicosia")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});
