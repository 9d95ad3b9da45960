// What every test client does the same way, whatever it reaches (the Worker in workerd, or a service on a
// port): a route's path with its ids filled in, and an answer's body read as JSON when it parses, else as text.
import type { RouteConfig } from "@hono/zod-openapi";

/** The route's path (`/exams/{id}`) with its ids filled in and the query appended. */
export function routePath(route: RouteConfig, params?: Record<string, string | number>, query?: Record<string, string>): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name])));
  return query ? `${path}?${new URLSearchParams(query)}` : path;
}

/** The body as parsed JSON when it parses, else its text. */
export async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
