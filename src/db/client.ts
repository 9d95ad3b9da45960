// The database handle. Inside workerd only the HTTP/WebSocket libSQL client works; it reaches the local
// libSQL server in dev and tests, and Turso in production. One client per isolate and URL.
import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import * as schema from "./schema";

export type Db = ReturnType<typeof makeDb>;

const makeDb = (url: string, authToken?: string) => drizzle(createClient({ url, authToken }), { schema });

const clients = new Map<string, Db>();

export function getDb(url: string, authToken?: string): Db {
  const key = `${url}\u0000${authToken ?? ""}`;
  let db = clients.get(key);
  if (!db) {
    db = makeDb(url, authToken);
    clients.set(key, db);
  }
  return db;
}
