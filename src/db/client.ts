// The database handle. Inside workerd only the HTTP/WebSocket libSQL client works; it reaches the local
// libSQL server in dev and tests, and Turso in production.
//
// One handle per request, never one per isolate: the client queues queries beyond its concurrency limit
// (20) on promises that another request's queries resolve, and workerd cancels a request that waits on
// another request's I/O ("the Worker's code had hung"). With a shared client, 40 simultaneous requests
// failed that way (test/workers/concurrency/monitoring.test.ts). The client holds no connection of its
// own (each query is one fetch), so making one per request costs next to nothing.
import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import { loadConfig, type Bindings } from "../env";
import * as schema from "./schema";

export type Db = ReturnType<typeof makeDb>;

const makeDb = (url: string, authToken?: string) => drizzle(createClient({ url, authToken }), { schema });

/** A new handle (for work outside a request: the scheduled handler, scripts, tests). */
export function getDb(url: string, authToken?: string): Db {
  return makeDb(url, authToken);
}

const perRequest = new WeakMap<Request, Db>();

/** The request's own handle, made on first use and shared by everything that serves this request. */
export function requestDb(request: Request, env: Bindings): Db {
  let db = perRequest.get(request);
  if (!db) {
    const config = loadConfig(env);
    db = makeDb(config.databaseUrl, config.databaseAuthToken);
    perRequest.set(request, db);
  }
  return db;
}
