// Building TRUSTID requests for the fuzz tests: from an operation of the OpenAPI document, its body
// arbitrary (JSON or form, by what it consumes) and its query, plus the role it needs (found by asking
// the service: 401 without a token, 403 for the wrong role).
import fc from "fast-check";
import { raw } from "../api";
import { type Doc, formFieldsOf, jsonBodyOf, type Pools, queryOf, resolve } from "./schema-arbitraries";
import type { Operation } from "./support";
import type { World } from "./world";

export const ORIGIN = "http://trustid.test";

export type Body = { kind: "json"; value: unknown } | { kind: "form"; fields: [string, string][]; multipart: boolean } | { kind: "none" };

export const consumes = (op: any): string[] => Object.keys(op.requestBody?.content ?? {});

/** The operation's body arbitrary: JSON bodies from its schema, form bodies (urlencoded or multipart) likewise. */
export function bodyOf(doc: Doc, o: Operation, pools: Pools): fc.Arbitrary<Body> {
  const types = consumes(o.op);
  if (types.includes("application/json")) {
    const schema = resolve(doc, o.op.requestBody.content["application/json"].schema);
    return jsonBodyOf(doc, schema, pools).map((value) => ({ kind: "json", value }) as Body);
  }
  if (types.includes("multipart/form-data")) {
    const schema = resolve(doc, o.op.requestBody.content["multipart/form-data"].schema);
    return fc.tuple(formFieldsOf(doc, schema, pools), fc.boolean()).map(([fields, multipart]) => ({ kind: "form", fields, multipart }) as Body);
  }
  return fc.constant({ kind: "none" } as Body);
}

export function queryArbitrary(doc: Doc, o: Operation, pools: Pools) {
  return queryOf(doc, o.op, pools);
}

export function encodeBody(body: Body): { body?: BodyInit; contentType?: string } {
  switch (body.kind) {
    case "json":
      return { body: JSON.stringify(body.value) ?? "null", contentType: "application/json" };
    case "form":
      if (body.multipart) return multipart(body.fields);
      return { body: new URLSearchParams(body.fields).toString(), contentType: "application/x-www-form-urlencoded" };
    default:
      return {};
  }
}

/**
 * A multipart/form-data body written by hand: workerd's FormData refuses some names (e.g. one ending in a
 * backslash) that a hostile client can still send.
 */
export function multipart(fields: [string, string][]): { body: string; contentType: string } {
  const boundary = `----fuzz${crypto.randomUUID()}`;
  const parts = fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, "%22").replace(/\r|\n/g, " ")}"\r\n\r\n${value}\r\n`);
  return { body: `${parts.join("")}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

export function requestInit(o: Operation, token: string | undefined, encoded: { body?: BodyInit; contentType?: string }, extraHeaders: Record<string, string> = {}): RequestInit {
  const headers: Record<string, string> = { ...extraHeaders };
  if (encoded.contentType) headers["content-type"] ??= encoded.contentType;
  if (token !== undefined) headers.authorization = token.startsWith("Bearer ") || token === "" ? token : `Bearer ${token}`;
  return { method: o.method, headers, body: o.method === "GET" || o.method === "HEAD" ? undefined : encoded.body };
}

export function urlOf(o: Operation, query: [string, string][] = [], trailingSlash = false) {
  const url = new URL(`${ORIGIN}${o.path}${trailingSlash ? "/" : ""}`);
  for (const [k, v] of query) url.searchParams.append(k, v);
  return url.toString();
}

export type Role = "none" | "STUDENT" | "INSTRUCTOR";

/** Which token the operation needs: none, or the role the service does not refuse with 403. */
export async function roleOf(o: Operation, w: World): Promise<Role> {
  // Any operation of the document, by its path: raw.
  const probe = (token?: string) => raw(o.path, { method: o.method, token, headers: { "content-type": "application/json" }, body: o.method === "GET" ? undefined : "{}" });
  if ((await probe()).status !== 401) return "none";
  if ((await probe(w.student.access)).status !== 403) return "STUDENT";
  return "INSTRUCTOR";
}

export const tokenFor = (role: Role, w: World) => (role === "STUDENT" ? w.student.access : role === "INSTRUCTOR" ? w.teacher.access : undefined);
export const wrongTokenFor = (role: Role, w: World) => (role === "STUDENT" ? w.teacher.access : w.student.access);
