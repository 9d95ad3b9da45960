// A signed client for the partner API (/api/v3), typed from each route's own definition
// (src/routes/partner/**) as test/workers/api.ts is for /backend: the response is the union over the
// documented statuses with their bodies, the path ids are the route's path parameters and the other
// parameters those its query or body documents. It signs exactly
// as docs/partner-api.md describes: HMAC-SHA256 over every other parameter (path ids included) sorted by
// name, a fresh nonce and the timestamp in ms. Hostile input goes in `unchecked`, or through `signedCall`
// (any path, untyped), on purpose and visibly.
import type { RouteConfig, z } from "@hono/zod-openapi";
import { SELF } from "cloudflare:test";
import { type Params, signParams } from "../../../src/services/partner/signature";
import { readBody } from "../../support/route-request";
import type { ApiResponse } from "../api";

export const V3 = "application/vnd.procwise.v3";

let counter = 0;
/** A nonce no other request of this run uses. */
export const nonce = () => `${Date.now()}${String(counter++).padStart(4, "0")}${Math.floor(Math.random() * 1000)}`;

/** An institution's API token and secret key (a `Partner` of ./helpers is one). */
export type Credentials = { token: string; secretKey: string };

// The parameters a route reads, from its definition (src/routes/partner/inputs.ts): its JSON body's schema
// when it takes a body (where its required parameters are required), else its query's. The definition only
// documents them (no validator: common.ts `documentParams`); values are as a client may send them, JSON
// scalars or their text in a query or form.
type JsonBodyOf<R extends RouteConfig> = R["request"] extends { body: { content: { "application/json": { schema: infer S extends z.ZodType } } } } ? S : never;
type QueryOf<R extends RouteConfig> = R["request"] extends { query: infer Q extends z.ZodType } ? Q : never;
/** The parameters a partner route reads (none for a route that documents none). */
export type PartnerParams<R extends RouteConfig> = [JsonBodyOf<R>] extends [never]
  ? [QueryOf<R>] extends [never]
    ? Record<string, never>
    : z.input<QueryOf<R>>
  : z.input<JsonBodyOf<R>>;
/** The route's path ids (`id`, `exam_id`), by the names its path uses. */
export type PathParams<R extends RouteConfig> = R["request"] extends { params: infer P }
  ? P extends z.ZodType
    ? { [K in keyof z.input<P>]: string | number }
    : never
  : never;

type Via = "json" | "form" | "query";

/** What the client sends and how it signs it; the overrides build wrong requests for the authentication tests. */
export type Signing = {
  /** Overrides of the headers sent: null leaves the header out. */
  accept?: string | null;
  authorization?: string | null;
  /** For replay and clock tests. */
  nonce?: string;
  timestamp?: number;
  /** Changes the parameters after signing (to send other than what was signed). */
  afterSigning?: (sent: Params) => void;
  /** Signs this instead of the parameters sent. */
  signOnly?: (signed: Params) => Params;
};

export type PartnerInit<R extends RouteConfig> = Signing & {
  credentials: Credentials;
  params?: PathParams<R>;
  /** The route's parameters, in one of the three ways the API takes them. */
  json?: PartnerParams<R>;
  form?: PartnerParams<R>;
  query?: PartnerParams<R>;
  /** Parameters the route is expected to refuse (missing or of the wrong type): not checked against its types; sent as `via` says. */
  unchecked?: Record<string, unknown>;
  via?: Via;
};

/** `{ json: params }`, `{ form: params }` or `{ query: params }`, for a test that tries each way (a computed key `[via]` would not be type-checked). */
export const sentAs = <P>(via: Via, params: P) => (via === "json" ? { json: params } : via === "form" ? { form: params } : { query: params });

export async function partnerApi<R extends RouteConfig>(route: R, init: PartnerInit<R>): Promise<ApiResponse<R>> {
  const given = (["json", "form", "query"] as const).filter((v) => init[v] !== undefined);
  if (given.length > 1 || (given.length === 1 && init.unchecked !== undefined)) throw new Error("give the parameters once: json, form, query or unchecked");
  if (init.via !== undefined && init.unchecked === undefined) throw new Error("`via` is for `unchecked` parameters; typed ones travel as their key says");
  const via = given[0] ?? init.via;
  const params = init.unchecked ?? (given[0] ? init[given[0]] : {});
  // An optional parameter left undefined is not sent (it would be signed as the text "undefined").
  const defined = Object.fromEntries(Object.entries(params ?? {}).filter(([, v]) => v !== undefined)) as Params;
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `:${name}`);
  const res = await signedCall(init.credentials, route.method.toUpperCase(), path, {
    path: init.params,
    params: defined,
    via,
    accept: init.accept,
    authorization: init.authorization,
    nonce: init.nonce,
    timestamp: init.timestamp,
    afterSigning: init.afterSigning,
    signOnly: init.signOnly,
  });
  return res as ApiResponse<R>;
}

export type SignedCall = Signing & {
  /** Path values, by the names the path template uses (`:id`, `:exam_id`); they are signed too. */
  path?: Record<string, string | number>;
  params?: Params;
  /** How the parameters travel: by default in the query for GET and DELETE, in a JSON body otherwise. */
  via?: Via;
};

const asText = (v: unknown) => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** A signed request to any path under /api/v3 (a template such as `/exams/:id`), untyped: for paths no route has, and fuzzing. */
export async function signedCall(credentials: Credentials, method: string, template: string, call: SignedCall = {}) {
  const path = template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(call.path?.[name] ?? "")));
  const params: Params = { ...call.params, timestamp: call.timestamp ?? Date.now(), nonce: call.nonce ?? nonce() };
  // A fuzzed value may be an object, even one whose own `toString` is not a function (String() throws on it):
  // it is signed (and sent in a query or form) as its JSON text, as a client would have to.
  const signed: Params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v !== null && typeof v === "object" ? JSON.stringify(v) : v])) as Params;
  for (const [k, v] of Object.entries(call.path ?? {})) signed[k] = String(v);
  const signature = await signParams(credentials.secretKey, call.signOnly ? call.signOnly(signed) : signed);
  const sent: Params = { ...params, signature };
  call.afterSigning?.(sent);

  const via = call.via ?? (method === "GET" || method === "DELETE" ? "query" : "json");
  const url = new URL(`http://trustid.test/api/v3${path}`);
  const headers: Record<string, string> = {};
  if (call.accept !== null) headers.accept = call.accept ?? V3;
  if (call.authorization !== null) headers.authorization = call.authorization ?? `Token token=${credentials.token}`;
  let body: string | undefined;
  if (via === "query") {
    for (const [k, v] of Object.entries(sent)) url.searchParams.set(k, asText(v));
  } else if (via === "form") {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(Object.entries(sent).map(([k, v]) => [k, asText(v)])).toString();
  } else {
    headers["content-type"] = "application/json";
    body = JSON.stringify(sent);
  }
  const res = await SELF.fetch(new Request(url, { method, headers, body }));
  // Untyped on purpose (`any`): the escape hatch's answer, read by tests that say what they expect.
  return { status: res.status, body: (await readBody(res)) as any, headers: res.headers };
}
