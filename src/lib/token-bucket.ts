// A token bucket: up to `perMinute` requests at once, refilled continuously at `perMinute` per minute.
// So a client that keeps to the rate is never refused, a burst of `perMinute` passes, and after a
// refusal one more request is allowed as soon as one token has refilled (which is what Retry-After says).

export type Bucket = { tokens: number; updatedAt: number };

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/** Takes one token from `bucket` (undefined: a full new bucket) at time `now` (ms); returns the new state. */
export function takeToken(bucket: Bucket | undefined, perMinute: number, now: number): { bucket: Bucket; result: TakeResult } {
  const refillPerMs = perMinute / 60_000;
  const elapsed = bucket ? Math.max(0, now - bucket.updatedAt) : 0;
  const tokens = bucket ? Math.min(perMinute, bucket.tokens + elapsed * refillPerMs) : perMinute;
  if (tokens >= 1) return { bucket: { tokens: tokens - 1, updatedAt: now }, result: { ok: true } };
  return { bucket: { tokens, updatedAt: now }, result: { ok: false, retryAfterMs: Math.ceil((1 - tokens) / refillPerMs) } };
}
