// The per-student limiter's arithmetic (src/lib/token-bucket.ts), with an explicit clock.
import { describe, expect, it } from "vitest";
import { type Bucket, takeToken } from "../../src/lib/token-bucket";

function run(perMinute: number, times: number[]) {
  let bucket: Bucket | undefined;
  return times.map((t) => {
    const r = takeToken(bucket, perMinute, t);
    bucket = r.bucket;
    return r.result;
  });
}

describe("token bucket", () => {
  it("lets a burst of perMinute through, then refuses with the time until one token has refilled", () => {
    const out = run(60, Array.from({ length: 61 }, () => 1000));
    expect(out.slice(0, 60).every((r) => r.ok)).toBe(true);
    expect(out[60]).toEqual({ ok: false, retryAfterMs: 1000 });
  });

  it("never refuses a client that keeps to the rate", () => {
    // 12 a minute (a frame every 5 s) against a limit of 12 a minute, for an hour.
    const out = run(12, Array.from({ length: 720 }, (_, i) => i * 5000));
    expect(out.every((r) => r.ok)).toBe(true);
  });

  it("allows again exactly after Retry-After, and refills no more than the capacity", () => {
    const out = run(6, [0, 0, 0, 0, 0, 0, 0, 10_000, 10_001, 3_600_000, ...Array(6).fill(3_600_000)]);
    expect(out.slice(0, 6).every((r) => r.ok)).toBe(true);
    expect(out[6]).toEqual({ ok: false, retryAfterMs: 10_000 });
    expect(out[7]).toEqual({ ok: true }); // one token after 10 s at 6 a minute
    expect(out[8]!.ok).toBe(false);
    // An hour later the bucket is full again: 6, not 360.
    expect(out.slice(9, 15).every((r) => r.ok)).toBe(true);
    expect(out[15]!.ok).toBe(false);
  });
});
