// A small local libSQL server speaking the Hrana-over-HTTP protocol (v2, JSON), backed by the
// real libSQL engine (the `libsql` npm package) on a file. `@libsql/client/web` (inside workerd),
// drizzle and drizzle-kit talk to it exactly as they talk to Turso in production.
// No sqld/turso-dev server is installable here (see ../shared/notes/platform.md), hence this file.
//
// Concurrency model: one connection; the engine is synchronous, so every request is atomic with
// respect to the others. A stream (baton) that leaves a transaction open holds an exclusive lock:
// other streams' requests wait for it (asynchronously) until it commits, rolls back, closes or
// idles out. That gives serializable transactions without ever blocking the event loop.
import http from "node:http";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";

const STREAM_IDLE_MS = 15_000;
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function startLibsqlServer({ file, port = 0, host = "127.0.0.1", authToken } = {}) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 0");

  const streams = new Map(); // baton -> { id, timer }
  let lockHolder = null; // stream id holding an open transaction
  let waiters = [];
  let nextStreamId = 1;

  const releaseLock = () => {
    lockHolder = null;
    const w = waiters;
    waiters = [];
    w.forEach((resolve) => resolve());
  };
  const acquire = async (streamId) => {
    while (lockHolder !== null && lockHolder !== streamId) {
      await new Promise((resolve) => waiters.push(resolve));
    }
  };
  const endStream = (baton) => {
    const s = streams.get(baton);
    if (!s) return;
    clearTimeout(s.timer);
    streams.delete(baton);
    if (lockHolder === s.id) {
      if (db.inTransaction) db.exec("ROLLBACK");
      releaseLock();
    }
  };

  const toValue = (v) => {
    if (v === null || v === undefined) return { type: "null" };
    if (typeof v === "bigint") return { type: "integer", value: v.toString() };
    if (typeof v === "number") return Number.isInteger(v) ? { type: "integer", value: String(v) } : { type: "float", value: v };
    if (typeof v === "string") return { type: "text", value: v };
    if (v instanceof Uint8Array) return { type: "blob", base64: Buffer.from(v).toString("base64") };
    return { type: "text", value: String(v) };
  };
  const fromValue = (v) => {
    switch (v?.type) {
      case "null": return null;
      case "integer": return BigInt(v.value);
      case "float": return Number(v.value);
      case "text": return v.value;
      case "blob": return Buffer.from(v.base64 ?? "", "base64");
      default: throw new ProtocolError(`unknown value type ${v?.type}`);
    }
  };
  const sqlCache = new Map(); // sql_id -> sql, per server (ids are per stream in the spec; ours are unique enough)

  const executeStmt = (stmt) => {
    const sql = stmt.sql ?? sqlCache.get(stmt.sql_id);
    if (typeof sql !== "string") throw new ProtocolError("statement has no sql");
    const prepared = db.prepare(sql);
    const positional = (stmt.args ?? []).map(fromValue);
    const named = {};
    for (const { name, value } of stmt.named_args ?? []) named[name.replace(/^[:@$]/, "")] = fromValue(value);
    const params = Object.keys(named).length ? [...positional, named] : positional;
    const before = totalChanges();
    if (prepared.reader) {
      prepared.raw(true);
      prepared.safeIntegers(true);
      const rows = prepared.all(...params);
      const cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }));
      const changed = totalChanges() - before;
      return {
        cols,
        rows: stmt.want_rows === false ? [] : rows.map((r) => r.map(toValue)),
        affected_row_count: changed,
        last_insert_rowid: changed > 0 ? lastRowid() : null,
      };
    }
    const info = prepared.run(...params);
    return { cols: [], rows: [], affected_row_count: totalChanges() - before, last_insert_rowid: String(info.lastInsertRowid) };
  };
  const scalar = (sql) => {
    const p = db.prepare(sql);
    p.raw(true);
    return p.get()[0];
  };
  const totalChanges = () => Number(scalar("SELECT total_changes()"));
  const lastRowid = () => String(scalar("SELECT last_insert_rowid()"));

  const evalCond = (cond, okSteps, errSteps) => {
    switch (cond.type) {
      case "ok": return okSteps.has(cond.step);
      case "error": return errSteps.has(cond.step);
      case "not": return !evalCond(cond.cond, okSteps, errSteps);
      case "and": return cond.conds.every((c) => evalCond(c, okSteps, errSteps));
      case "or": return cond.conds.some((c) => evalCond(c, okSteps, errSteps));
      case "is_autocommit": return !db.inTransaction;
      default: throw new ProtocolError(`unknown condition ${cond.type}`);
    }
  };
  const executeBatch = (batch) => {
    const step_results = [];
    const step_errors = [];
    const okSteps = new Set();
    const errSteps = new Set();
    batch.steps.forEach((step, i) => {
      if (step.condition && !evalCond(step.condition, okSteps, errSteps)) {
        step_results.push(null);
        step_errors.push(null);
        return;
      }
      try {
        step_results.push(executeStmt(step.stmt));
        step_errors.push(null);
        okSteps.add(i);
      } catch (e) {
        step_results.push(null);
        step_errors.push(sqlError(e));
        errSteps.add(i);
      }
    });
    return { step_results, step_errors };
  };

  const handleRequest = (req, baton) => {
    switch (req.type) {
      case "execute": return { type: "execute", result: executeStmt(req.stmt) };
      case "batch": return { type: "batch", result: executeBatch(req.batch) };
      case "sequence": db.exec(req.sql ?? sqlCache.get(req.sql_id)); return { type: "sequence" };
      case "describe": {
        const p = db.prepare(req.sql ?? sqlCache.get(req.sql_id));
        const cols = p.reader ? p.columns().map((c) => ({ name: c.name, decltype: c.type ?? null })) : [];
        return { type: "describe", result: { params: [], cols, is_explain: false, is_readonly: !p.reader ? false : true } };
      }
      case "store_sql": sqlCache.set(req.sql_id, req.sql); return { type: "store_sql" };
      case "close_sql": sqlCache.delete(req.sql_id); return { type: "close_sql" };
      case "get_autocommit": return { type: "get_autocommit", is_autocommit: !db.inTransaction };
      case "close": endStream(baton); return { type: "close" };
      default: throw new ProtocolError(`unknown request type ${req.type}`);
    }
  };

  const pipeline = async (body) => {
    let baton = body.baton ?? null;
    let stream = baton ? streams.get(baton) : null;
    if (baton && !stream) return [400, { message: "unknown or expired baton", code: "STREAM_EXPIRED" }];
    if (!stream) {
      stream = { id: nextStreamId++, timer: null };
      baton = randomBytes(16).toString("hex");
      streams.set(baton, stream);
    } else {
      streams.delete(baton);
      clearTimeout(stream.timer);
      baton = randomBytes(16).toString("hex");
      streams.set(baton, stream);
    }
    await acquire(stream.id);
    const results = [];
    let closed = false;
    for (const r of body.requests ?? []) {
      try {
        results.push({ type: "ok", response: handleRequest(r, baton) });
        if (r.type === "close") closed = true;
      } catch (e) {
        results.push({ type: "error", error: sqlError(e) });
      }
    }
    if (!closed) {
      if (db.inTransaction) lockHolder = stream.id;
      else if (lockHolder === stream.id) releaseLock();
      const b = baton;
      stream.timer = setTimeout(() => endStream(b), STREAM_IDLE_MS);
      stream.timer.unref?.();
    }
    return [200, { baton: closed ? null : baton, base_url: null, results }];
  };

  const server = http.createServer(async (req, res) => {
    const send = (status, obj) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(obj));
    };
    try {
      if (authToken && req.headers.authorization !== `Bearer ${authToken}`) return send(401, { message: "unauthorized" });
      const path = new URL(req.url, "http://x").pathname.replace(/\/+$/, "");
      if (req.method === "GET" && (path === "" || path === "/health" || path === "/v2")) return send(200, { ok: true });
      if (req.method !== "POST" || path !== "/v2/pipeline") return send(404, { message: "not found" });
      const chunks = [];
      let size = 0;
      for await (const c of req) {
        size += c.length;
        if (size > MAX_BODY_BYTES) return send(413, { message: "body too large" });
        chunks.push(c);
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const [status, out] = await pipeline(body);
      send(status, out);
    } catch (e) {
      send(e instanceof ProtocolError || e instanceof SyntaxError ? 400 : 500, { message: String(e?.message ?? e) });
    }
  });

  // Idle keep-alive connections stay open until the client closes them. With Node's default (close after
  // 5 s idle) workerd sometimes sent a query on a connection the server was closing: "Broken pipe" /
  // "Network connection lost", a 500 for that request (seen when many requests arrive after a pause).
  server.keepAliveTimeout = 0;

  return new Promise((resolve, reject) => {
    server.once("error", (e) => {
      // Not listening (e.g. the port is taken): the database file is not kept open for nothing.
      if (!server.listening) db.close();
      reject(e);
    });
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://${host}:${actual}`,
        port: actual,
        close: () => new Promise((r) => { for (const b of [...streams.keys()]) endStream(b); server.close(() => { db.close(); r(); }); server.closeAllConnections?.(); }),
      });
    });
  });
}

class ProtocolError extends Error {}
const sqlError = (e) => ({ message: String(e?.message ?? e), code: e?.code ?? "UNKNOWN" });

// CLI: node scripts/libsql-server.mjs --file data/trustid.db --port 8080
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  if (process.argv.includes("--help")) {
    console.log("usage: node scripts/libsql-server.mjs [--file data/trustid.db] [--port 8080] [--auth-token TOKEN]");
    process.exit(0);
  }
  const portText = arg("port", "8080") ?? "";
  const port = /^[0-9]+$/.test(portText) ? Number(portText) : NaN;
  // Not a port: say so, not Node's RangeError stack trace from listen (as `npm start` does for PORT, probe V).
  if (!(port <= 65535)) {
    console.error(`--port must be a port number (0-65535), not ${JSON.stringify(portText)}.`);
    process.exit(2);
  }
  const file = arg("file", "data/trustid.db");
  // A clone that was never started has no data/ yet (a probe's run crashed on it).
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const { url } = await startLibsqlServer({ file, port, authToken: arg("auth-token") }).catch((e) => {
    // The option to change, not a Node stack trace.
    if (e?.code !== "EADDRINUSE") throw e;
    console.error(`Port ${port} is in use: give --port a free one.`);
    return process.exit(1);
  });
  console.log(`libSQL (Hrana v2 over HTTP) listening on ${url}`);
}
