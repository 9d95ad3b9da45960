// The yardstick of bench/overhead.mjs: a bare Hono Worker returning a small JSON object, started through the
// same `wrangler dev` as the service, so that each endpoint's throughput can be read as a share of it.
// Served at /backend/bare so that the copy with the service's static-asset routing (wrangler-assets.toml,
// run_worker_first for /backend/*) runs this Worker, not the asset server.
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.json({ message: "ok", resource_name: "bare" }));
app.get("/backend/bare", (c) => c.json({ message: "ok", resource_name: "bare" }));
export default app;
