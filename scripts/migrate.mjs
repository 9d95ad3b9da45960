// Applies migrations/ (drizzle-kit SQL, unchanged) to a libSQL database over its HTTP URL: the local
// server in dev and tests, Turso in production.
//   DATABASE_URL=libsql://<db>.turso.io DATABASE_AUTH_TOKEN=... node scripts/migrate.mjs
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { fileURLToPath } from "node:url";

export async function migrateDatabase(url, authToken) {
  const client = createClient({ url, authToken });
  try {
    await migrate(drizzle(client), { migrationsFolder: fileURLToPath(new URL("../migrations", import.meta.url)) });
  } finally {
    client.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("Set DATABASE_URL (and DATABASE_AUTH_TOKEN for Turso).");
    process.exit(2);
  }
  try {
    await migrateDatabase(url, process.env.DATABASE_AUTH_TOKEN);
  } catch (e) {
    // One line an operator can act on (a wrong token was 46 lines of stack with the 401 inside, a probe found).
    let cause = e;
    while (cause?.cause) cause = cause.cause;
    console.error(`migrations not applied: ${cause?.message ?? e} (check DATABASE_URL and DATABASE_AUTH_TOKEN)`);
    process.exit(1);
  }
  console.log("migrations applied");
}
