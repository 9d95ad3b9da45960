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
import { createClient } from "@libsql/client/web";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql/web";
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
    const unavailable = (e: unknown) => {
      const name = e instanceof Error ? e.name : "";
      return new DatabaseUnavailable(name === "TimeoutError" || name === "AbortError" ? `no answer within ${timeoutMs} ms` : `unreachable: ${String(e)}`);
    };
    try {
      res = await fetcher(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw unavailable(e);
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      await res.body?.cancel();
      throw new DatabaseUnavailable(`HTTP ${res.status}`);
    }
    // The database refuses our credentials (a wrong, expired or rotated Turso token): not a bug of the request, an
    // outage until the operator sets DATABASE_AUTH_TOKEN again; the log line's cause says so.
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new DatabaseUnavailable(`the database refused the credentials (HTTP ${res.status}): check DATABASE_AUTH_TOKEN`);
    }
    // The answer is read here, under the same deadline: a large answer still arriving when the deadline passes would
    // otherwise fail inside the libSQL client as an unexplained error (a 500; a probe saw it on a 10 MB read).
    try {
      return new Response(await res.arrayBuffer(), { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (e) {
      throw unavailable(e);
    }
  };
}

/** A fresh handle: one per request, scheduled run or test (see above). */
export function openDb(url: string, authToken?: string, timeoutMs = DEFAULT_DB_TIMEOUT_MS) {
  return drizzle(createClient({ url, authToken, fetch: databaseFetch(timeoutMs) }), { schema });
}

/** A column's name in raw SQL: the insert-selects are raw because drizzle's must select every column of the table. */
export const columnName = (c: { name: string }) => sql.identifier(c.name);
