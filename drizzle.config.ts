// drizzle-kit: `generate` writes SQL into migrations/ from src/db/schema.ts; `migrate` applies it to
// DATABASE_URL (the local libSQL server in dev, Turso in production; token in DATABASE_AUTH_TOKEN).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "turso",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  dbCredentials: {
    url: process.env.DATABASE_URL ?? "http://127.0.0.1:8080",
    authToken: process.env.DATABASE_AUTH_TOKEN,
  },
});
