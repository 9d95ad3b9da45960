// The yardstick of bench/overhead.mjs: a bare Hono Worker returning a small JSON object, started through the
// same `wrangler dev` as the service, so that each endpoint's throughput can be read as a share of it.
// Served at /backend/bare so that the copy with the service's static-asset routing (wrangler-assets.toml,
// run_worker_first for /backend/*) runs this Worker, not the asset server.
//
// Two more yardsticks give the floor of any handler that reads the database once (bench/overhead.mjs
// --floors, with DB_URL pointing at the service's local libSQL server): one raw Hrana pipeline request made
// with fetch, and one `SELECT 1` through @libsql/client/web, the client the service uses.
import { createClient } from "@libsql/client/web";
import { Hono } from "hono";

type Env = { Bindings: { DB_URL?: string } };

const app = new Hono<Env>();
const ok = { message: "ok", resource_name: "bare" };
app.get("/", (c) => c.json(ok));
app.get("/backend/bare", (c) => c.json(ok));
app.get("/backend/bare-fetch", async (c) => {
  const res = await fetch(`${c.env.DB_URL}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }] }),
  });
  await res.json();
  return c.json(ok);
});
app.get("/backend/bare-libsql", async (c) => {
  await createClient({ url: c.env.DB_URL ?? "" }).execute("SELECT 1");
  return c.json(ok);
});
export default app;
