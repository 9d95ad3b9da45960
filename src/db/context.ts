// The request's database handle, from the checked configuration: one per request (db/client.ts says why),
// made on first use and reused by everything the request does.
import type { Context } from "hono";
import { loadConfig } from "../env";
import { type Db, openDb } from "./client";

const perRequest = new WeakMap<Request, Db>();

export function dbOf(c: Context): Db {
  let db = perRequest.get(c.req.raw);
  if (!db) {
    const config = loadConfig(c.env);
    db = openDb(config.databaseUrl, config.databaseAuthToken, config.load.dbTimeoutMs);
    perRequest.set(c.req.raw, db);
  }
  return db;
}
