// The request's database handle, from the checked configuration.
import type { Context } from "hono";
import { loadConfig } from "../env";
import type { AppEnv } from "../types";
import { type Db, getDb } from "./client";

export function dbOf(c: Context<AppEnv>): Db {
  const config = loadConfig(c.env);
  return getDb(config.databaseUrl, config.databaseAuthToken);
}
