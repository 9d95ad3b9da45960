// Copies Swagger UI's browser files from node_modules into public/ (runs on npm install), so that the
// API reference page loads nothing from third parties.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const from = dirname(require.resolve("swagger-ui-dist/package.json"));
const to = "public/backend/docs/assets";
mkdirSync(to, { recursive: true });
for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(from, f), join(to, f));
