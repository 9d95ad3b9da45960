// Which methods some route accepts at a path: what tells a 405 (with `Allow`) from a 404, for both routers
// (app.ts for /backend, routes/partner/index.ts for /api/v3).

/** The methods of `routes` (Hono's `app.routes`) that take `path`; one trailing slash is ignored, as `strict: false` does. */
export function allowedMethods(routes: readonly { method: string; path: string }[], path: string): string[] {
  // One trailing slash, as the router (`strict: false`) ignores; more than one is another path.
  const normalized = path.length > 1 ? path.replace(/\/$/, "") : path;
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.endsWith("*")) continue;
    const pattern = new RegExp(`^${r.path.replace(/\/+$/, "").replace(/:[^/]+/g, "[^/]+")}$`);
    if (pattern.test(normalized)) methods.add(r.method);
  }
  return [...methods];
}
