// The database handle. Inside workerd only the HTTP/WebSocket libSQL client works; it reaches the local
// libSQL server in dev and tests, and Turso in production.
//
// One client per request (`openDb`), not one per isolate: a client queues statements beyond its
// concurrency limit and resolves them from whichever request's continuation frees a place. workerd
// cancels continuations of a request that has ended, so under load a shared client left other requests
// waiting forever (found by bench/load.mjs: hung requests, then the runtime's own 500s). A client over
// HTTP holds no connection, so making one per request costs nothing that matters.
//
// Every HTTP call to the database is bounded by `timeoutMs`; a call that fails at the network level,
// times out, or meets a 502/503/504 (Turso unavailable) throws a 503 AppError with Retry-After, which the
// error handlers find through libSQL's and drizzle's wrappers (lib/errors.ts unavailableCause).
import { type Client, createClient } from "@libsql/client/web";
import { LibSQLDatabase } from "drizzle-orm/libsql/driver-core";
import { LibSQLSession } from "drizzle-orm/libsql/session";
import { createTableRelationsHelpers, type ExtractTablesWithRelations, extractTablesRelationalConfig } from "drizzle-orm/relations";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { AppError } from "../lib/errors";
import * as schema from "./schema";

export type Db = ReturnType<typeof openDb>;

export const DEFAULT_DB_TIMEOUT_MS = 5000;
const RETRY_AFTER_SECONDS = 5;

export class DatabaseUnavailable extends AppError {
  constructor(detail: string) {
    super(503, "The database is temporarily unavailable; try again shortly", { kind: "message" }, { "Retry-After": String(RETRY_AFTER_SECONDS) });
    this.cause = detail;
  }
}

/** fetch for the libSQL client: bounded in time, and unavailability as DatabaseUnavailable. */
export function databaseFetch(timeoutMs: number, fetcher: typeof fetch = fetch) {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let res: Response;
    try {
      res = await fetcher(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const name = e instanceof Error ? e.name : "";
      throw new DatabaseUnavailable(name === "TimeoutError" || name === "AbortError" ? `no answer within ${timeoutMs} ms` : `unreachable: ${String(e)}`);
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      await res.body?.cancel();
      throw new DatabaseUnavailable(`HTTP ${res.status}`);
    }
    return res;
  };
}

// What drizzle(client, { schema }) derives from the schema alone (the relational configuration of every table)
// and its SQL dialect, made once per isolate: drizzle() rebuilt both for every handle, about 35 us of CPU per
// request under Node (BENCHMARKS.md, "Request overhead"). Neither holds per-request state (the dialect's only
// state is its column-name casing cache). The handle is assembled as drizzle-orm's libsql `construct` does it.
const dialect = new SQLiteAsyncDialect();
const relational = (() => {
  const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  return { fullSchema: schema, schema: tables.tables as ExtractTablesWithRelations<typeof schema>, tableNamesMap: tables.tableNamesMap };
})();

/** A fresh handle: one per request, scheduled run or test (see above). */
export function openDb(url: string, authToken?: string, timeoutMs = DEFAULT_DB_TIMEOUT_MS) {
  const client = createClient({ url, authToken, fetch: databaseFetch(timeoutMs) });
  const session = new LibSQLSession<typeof schema, ExtractTablesWithRelations<typeof schema>>(client, dialect, relational, {}, undefined);
  const db = new LibSQLDatabase<typeof schema>("async", dialect, session, relational) as LibSQLDatabase<typeof schema> & { $client: Client };
  db.$client = client;
  return db;
}
