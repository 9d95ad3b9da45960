// First middleware: a request id (echoed in X-Request-Id and carried by every log line and 500 body),
// the request's "now", and a structured access-log line for failed requests (or every request with
// ACCESS_LOG=all).
//
// Why not a line per request by default: it was the whole of this Worker's per-request overhead measured
// against a bare Hono Worker (BENCHMARKS.md, "Request overhead"), and it repeats what the platform already
// records: Workers Logs keeps an invocation record of every request (method, URL, status, duration) in
// production, and `wrangler dev` prints one line per request locally. What only we know is the request id,
// which a 5xx body carries and its log line repeats.
import { createMiddleware } from "hono/factory";
import { loadConfig } from "../env";
import type { AppEnv } from "../types";

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("now", Date.now());
  const started = performance.now();
  await next();
  c.header("X-Request-Id", requestId);
  // A 5xx is always logged (the configuration is not read then: it may be what failed).
  if (c.res.status < 500 && loadConfig(c.env).accessLog !== "all") return;
  // Path and status only: never bodies, tokens or query strings (they may carry credentials).
  console.log(
    JSON.stringify({
      level: c.res.status >= 500 ? "error" : "info",
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    }),
  );
});
