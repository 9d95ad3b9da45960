// The yardstick of bench/overhead.mjs: a bare Hono Worker returning a small JSON object, started through the
// same `wrangler dev` as the service, so that each endpoint's throughput can be read as a share of it.
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.json({ message: "ok", resource_name: "bare" }));
export default app;
