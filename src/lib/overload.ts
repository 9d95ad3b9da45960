// Load shedding and bounded waits (issue 8). Beyond what an isolate can serve, a fast 503 with Retry-After
// is better than a queue that makes every request slow until clients time out and retry on top of it:
// - `limitInFlight(kind)`: at most N requests of a kind in flight in this isolate; one more is answered 503
//   at once. Kinds: every API request (DB-bound work), the CPU-heavy biometric inference, password hashing.
// - `withTimeout`: a dependency that does not answer in time becomes a 503 instead of a hung request.
// Limits are per isolate (module state); on Cloudflare each isolate sheds on its own, locally
// (`npm start`, one isolate) they are the whole service's limits. Settings: env.ts `load`, README.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { loadConfig, type Config } from "../env";
import { AppError } from "./errors";

export type LoadKind = "requests" | "inference" | "password";

const inFlight: Record<LoadKind, number> = { requests: 0, inference: 0, password: 0 };

const limitOf = (config: Config, kind: LoadKind) =>
  kind === "requests" ? config.load.maxInflightRequests : kind === "inference" ? config.load.maxInflightInference : config.load.maxInflightPasswordHashes;

const WHAT: Record<LoadKind, string> = {
  requests: "The server is busy",
  inference: "Biometric verification is busy",
  password: "Sign-in is busy",
};

// At most one log line per second about shed requests: logging each one would spend CPU just when
// there is none to spare.
const shedSinceLog: Record<LoadKind, number> = { requests: 0, inference: 0, password: 0 };
let lastShedLog = 0;
function noteShed(kind: LoadKind) {
  shedSinceLog[kind]++;
  const now = Date.now();
  if (now - lastShedLog < 1000) return;
  lastShedLog = now;
  console.warn(JSON.stringify({ level: "warn", msg: "load shed (503) since the last line", ...shedSinceLog, in_flight: { ...inFlight } }));
  shedSinceLog.requests = shedSinceLog.inference = shedSinceLog.password = 0;
}

/** Requests of this kind now in flight in this isolate (for tests and logs). */
export const inFlightNow = (kind: LoadKind) => inFlight[kind];

/** Holds one slot of `kind` for the rest of the request, or answers 503 with Retry-After when none is free. */
export const limitInFlight = (kind: LoadKind) =>
  createMiddleware(async (c: Context, next) => {
    const config = loadConfig(c.env);
    if (inFlight[kind] >= limitOf(config, kind)) {
      noteShed(kind);
      throw AppError.unavailable(config.load.retryAfterSeconds, `${WHAT[kind]}; try again in a few seconds`);
    }
    inFlight[kind]++;
    try {
      await next();
    } finally {
      inFlight[kind]--;
    }
  });

/** The promise's value, or a 503 (with Retry-After) if it has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string, retryAfterSeconds = 5): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(AppError.unavailable(retryAfterSeconds, message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
