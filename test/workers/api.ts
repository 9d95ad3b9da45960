// A client typed from a route's own definition (src/routes/**: every route is exported): the request body
// is the route's request schema's input type, and the response is a union over the documented statuses,
// each with the body its schema describes (the error bodies too: ValidationErrorBody, NotFoundBody, ...).
// So a test that reads a field the API does not document, or sends a body the API does not accept, no
// longer type-checks. Hostile input that the route must refuse goes in `unchecked`, on purpose and visibly.
import type { RouteConfig, z } from "@hono/zod-openapi";
import { call } from "./helpers";

type JsonSchemaOf<C> = C extends { content: { "application/json": { schema: infer S } } } ? (S extends z.ZodType ? S : never) : never;

/** The JSON body a route accepts (its schema's input type). */
export type RequestJson<R extends RouteConfig> = R["request"] extends { body?: infer B } ? z.input<JsonSchemaOf<B>> : never;
/** The statuses a route documents. */
export type StatusOf<R extends RouteConfig> = Extract<keyof R["responses"], number>;
/** The body documented for one status. */
export type BodyAt<R extends RouteConfig, S extends StatusOf<R>> = z.output<JsonSchemaOf<R["responses"][S]>>;
export type ApiResponse<R extends RouteConfig> = { [S in StatusOf<R>]: { status: S; body: BodyAt<R, S>; headers: Headers } }[StatusOf<R>];

type Init<R extends RouteConfig> = {
  token?: string;
  json?: RequestJson<R>;
  /** A body the route is expected to refuse (missing or badly formatted fields): not checked against its schema. */
  unchecked?: unknown;
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
};

export async function api<R extends RouteConfig>(route: R, init: Init<R> = {}): Promise<ApiResponse<R>> {
  let path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(init.params?.[name])));
  if (init.query) path += `?${new URLSearchParams(init.query)}`;
  const json = init.json !== undefined ? init.json : init.unchecked;
  const res = await call(path, { method: route.method.toUpperCase(), json, token: init.token, headers: init.headers });
  return res as ApiResponse<R>;
}

/** The body of a response that must have this status; fails the test with the status and body otherwise. */
export function bodyAt<R extends RouteConfig, S extends StatusOf<R>>(res: ApiResponse<R>, status: S): BodyAt<R, S> {
  if (res.status !== status) throw new Error(`expected status ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as BodyAt<R, S>;
}
