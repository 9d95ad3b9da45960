// The request's database handle, from the checked configuration (one per request: see db/client.ts).
import type { Context } from "hono";
import type { AppEnv } from "../types";
import { type Db, requestDb } from "./client";

export function dbOf(c: Context<AppEnv>): Db {
  return requestDb(c.req.raw, c.env);
}
