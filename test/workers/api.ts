// A client typed from a route's own definition (src/routes/**: every route is exported): the request body
// is the route's request schema's input type, and the response is a union over the documented statuses,
// each with the body its schema describes (the error bodies too: ValidationErrorBody, NotFoundBody, ...).
// So a test that reads a field the API does not document, or sends a body the API does not accept, no
// longer type-checks, and an answer with a status the route does not document fails the test. Hostile input
// that the route must refuse goes in `unchecked` (a JSON body) or `raw` (any bytes, any content type), on
// purpose and visibly; `raw()` reaches paths no route defines.
// SELF goes through the same entry as production traffic (static assets first, then the Worker).
import { SELF } from "cloudflare:test";
import type { RouteConfig, z } from "@hono/zod-openapi";
import { readBody, routePath } from "../support/route-request";

type JsonSchemaOf<C> = C extends { content: { "application/json": { schema: infer S } } } ? (S extends z.ZodType ? S : never) : never;
type FormSchemaOf<C> = C extends { content: { "multipart/form-data": { schema: infer S } } }
  ? S extends z.ZodType
    ? S
    : never
  : C extends { content: { "application/x-www-form-urlencoded": { schema: infer S } } }
    ? S extends z.ZodType
      ? S
      : never
    : never;

/** The JSON body a route accepts (its schema's input type). */
export type RequestJson<R extends RouteConfig> = R["request"] extends { body?: infer B } ? z.input<JsonSchemaOf<B>> : never;
/** The form fields a route accepts (multipart or urlencoded; its schema's input type). A repeated field is an array. */
export type RequestForm<R extends RouteConfig> = R["request"] extends { body?: infer B } ? z.input<FormSchemaOf<B>> : never;
/** The statuses a route documents. */
export type StatusOf<R extends RouteConfig> = Extract<keyof R["responses"], number>;
/** The body documented for one status: its JSON schema's output, or the text of a response that is not JSON. */
export type BodyAt<R extends RouteConfig, S extends StatusOf<R>> = R["responses"][S] extends { content: { "application/json": unknown } }
  ? z.output<JsonSchemaOf<R["responses"][S]>>
  : string;
export type ApiResponse<R extends RouteConfig> = { [S in StatusOf<R>]: { status: S; body: BodyAt<R, S>; headers: Headers } }[StatusOf<R>];

type Init<R extends RouteConfig> = {
  token?: string;
  json?: RequestJson<R>;
  /** The form fields, sent as multipart/form-data. */
  form?: RequestForm<R>;
  /** The form fields, sent as application/x-www-form-urlencoded. */
  urlencoded?: RequestForm<R>;
  /** A JSON body the route is expected to refuse (missing or badly formatted fields): not checked against its schema. */
  unchecked?: unknown;
  /** Hostile input, not checked at all: these bytes as the body, with this content type (none when omitted). */
  raw?: { body: BodyInit; contentType?: string };
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
};

export async function api<R extends RouteConfig>(route: R, init: Init<R> = {}): Promise<ApiResponse<R>> {
  const path = routePath(route, init.params, init.query);
  const headers: Record<string, string> = { ...init.headers };
  let body: BodyInit | undefined;
  const json = init.json !== undefined ? init.json : init.unchecked;
  if (json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(json);
  } else if (init.form !== undefined) {
    const form = new FormData(); // its boundary goes in the content type fetch sets
    for (const [name, value] of formFields(init.form)) form.append(name, value);
    body = form;
  } else if (init.urlencoded !== undefined) {
    headers["content-type"] ??= "application/x-www-form-urlencoded";
    body = new URLSearchParams(formFields(init.urlencoded));
  } else if (init.raw !== undefined) {
    if (init.raw.contentType !== undefined) headers["content-type"] ??= init.raw.contentType;
    body = init.raw.body;
  }
  const res = await raw(`/backend${path}`, { method: route.method.toUpperCase(), token: init.token, headers, body });
  // The answer is typed as one of the documented statuses: any other is a gap in the route's responses.
  if (!(String(res.status) in route.responses)) {
    throw new Error(`${route.method.toUpperCase()} ${route.path} answered ${res.status}, which its route does not document: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return res as ApiResponse<R>;
}

/** Form fields as name/value pairs: a field given as an array is repeated; absent fields are not sent. */
function formFields(fields: object): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, String(v)]);
  }
  return pairs;
}

/** The body of a response that must have this status; fails the test with the status and body otherwise. */
export function bodyAt<R extends RouteConfig, S extends StatusOf<R>>(res: ApiResponse<R>, status: S): BodyAt<R, S> {
  if (res.status !== status) throw new Error(`expected status ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as BodyAt<R, S>;
}

export type RawInit = { method?: string; token?: string; headers?: Record<string, string>; body?: BodyInit };
/** A response no route types: the body is parsed JSON when it parses, else its text. */
export type RawResponse = { status: number; body: unknown; headers: Headers };

/**
 * The untyped escape hatch: any path from the root (`/backend/...`, `/api/v3/...`, a static page), any method,
 * any body. For what no route definition describes: unknown paths, wrong methods, the OpenAPI document and
 * the docs page. Tests that read its body say what they expect it to be.
 */
export async function raw(path: string, init: RawInit = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await SELF.fetch(
    new Request(`http://trustid.test${path}`, { method: init.method ?? (init.body !== undefined ? "POST" : "GET"), headers, body: init.body }),
  );
  return { status: res.status, body: await readBody(res), headers: res.headers };
}
