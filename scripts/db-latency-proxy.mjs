// A delaying proxy in front of the local libSQL server, to run the service with its database "far away" as
// a Turso primary is from a distant edge location (`DB_LATENCY_MS=80 npm start`): every request waits the
// one-way delay before it is forwarded and its answer waits it again before it is returned, so one database
// round trip costs 2 x DB_LATENCY_MS. It also counts round trips per Hrana path, so a bench can say how many
// an endpoint makes (bench/edge.mjs).
//
// Control endpoints (the proxy's own, never forwarded):
//   GET  /__proxy                      -> {"latency_ms": n, "requests": {path: count}, "total": n}
//   POST /__proxy?latency_ms=40&reset=1  changes the delay and/or zeroes the counters
import http from "node:http";

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export function startDbLatencyProxy({ upstream, port = 0, host = "127.0.0.1", latencyMs = 0 }) {
  const state = { latencyMs, requests: {}, total: 0 };
  const stats = () => JSON.stringify({ latency_ms: state.latencyMs, requests: state.requests, total: state.total });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    if (url.pathname === "/__proxy") {
      if (req.method === "POST") {
        const ms = url.searchParams.get("latency_ms");
        if (ms !== null && Number.isFinite(Number(ms)) && Number(ms) >= 0) state.latencyMs = Number(ms);
        if (url.searchParams.has("reset")) {
          state.requests = {};
          state.total = 0;
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end(stats());
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    state.requests[url.pathname] = (state.requests[url.pathname] ?? 0) + 1;
    state.total++;
    // Read once per request: a delay changed mid-request applies to the next one.
    const delay = state.latencyMs;
    await sleep(delay);
    try {
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      delete headers["content-length"];
      const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined });
      const bytes = Buffer.from(await answer.arrayBuffer());
      await sleep(delay);
      const out = {};
      answer.headers.forEach((v, k) => {
        if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection" && k !== "content-encoding") out[k] = v;
      });
      res.writeHead(answer.status, out).end(bytes);
    } catch {
      await sleep(delay);
      // The upstream is down: the same symptom as an unreachable database (the Worker answers 503).
      res.writeHead(502, { "content-type": "text/plain" }).end("libSQL server unreachable");
    }
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    // A port that cannot be listened on (taken: EADDRINUSE) rejects, for the caller to name its setting; without a
    // listener it was an uncaught 'error' event, a stack trace past scripts/dev.mjs's catch (probe V).
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        url: `http://${host}:${address.port}`,
        state,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
