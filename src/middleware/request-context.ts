// First middleware: a request id (echoed in X-Request-Id and carried by every log line and 500 body),
// the request's "now", and one structured access-log line per request.
import { createMiddleware } from "hono/factory";
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
  // Path and status only: never bodies, tokens or query strings (they may carry credentials).
  console.log(
    JSON.stringify({
      level: "info",
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    }),
  );
});
