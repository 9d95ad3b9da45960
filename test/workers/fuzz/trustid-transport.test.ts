// Hostile requests to every TRUSTID operation of the served OpenAPI document, below the schema: wrong and
// odd content types, truncated, bit-flipped and invalid UTF-8 bodies, duplicated keys, lone surrogates in
// JSON escapes, deep nesting, big arrays, a BOM, hand-written multipart and urlencoded oddities, missing,
// foreign, expired and forged tokens, wrong methods and odd paths. Same property as the schema fuzzing:
// never a 500, the documented envelope and status, no unexpected error logged, nothing stored on refusal.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Doc } from "./schema-arbitraries";
import { hostileString, objectOf, resolve, wrongType } from "./schema-arbitraries";
import { checkTrustid, fuzz, openApiDocument, type Operation, operations, runs, send, watchUnexpectedErrors } from "./support";
import { consumes, multipart, ORIGIN, type Role, roleOf, tokenFor, wrongTokenFor } from "./trustid-requests";
import { makeWorld, expectUnchanged, settled, visibleState, type World } from "./world";

let doc: Doc;
let world: World;
const roles = new Map<Operation, Role>();
const errors = watchUnexpectedErrors();
const all = await operations("/backend");

beforeAll(async () => {
  doc = await openApiDocument();
  world = await makeWorld();
  for (const o of all) roles.set(o, await roleOf(o, world));
}, 120_000);
afterAll(() => errors.restore());

type Hostile = { what: string; body?: BodyInit; contentType?: string; token?: "right" | "wrong" | "none" | string; method?: string; path?: string };

const enc = new TextEncoder();
const schemaOf = (o: Operation) => {
  const content = o.op.requestBody?.content ?? {};
  return resolve(doc, (content["application/json"] ?? content["multipart/form-data"])?.schema ?? { type: "object" });
};
const fieldNames = (o: Operation) => Object.keys(schemaOf(o).properties ?? { x: 1 });

/** A JSON text with each of these keys written twice (the second value differs). */
const duplicatedKeys = (entries: [string, unknown][]) =>
  `{${entries.flatMap(([k, v]) => [`${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`, `${JSON.stringify(k)}:${JSON.stringify(wrongValue(v))}`]).join(",")}}`;
const wrongValue = (v: unknown) => (typeof v === "string" ? 12345 : "duplicate");

const flip = (bytes: Uint8Array, at: number, bit: number) => {
  const out = bytes.slice();
  if (out.length > 0) out[at % out.length]! ^= 1 << bit;
  return out;
};

function hostileFor(o: Operation): fc.Arbitrary<Hostile> {
  const fields = fieldNames(o);
  const plausible = objectOf(doc, schemaOf(o), world.pools);
  const json = plausible.map((v) => JSON.stringify(v));
  const isJson = consumes(o.op).includes("application/json");
  const isForm = consumes(o.op).includes("multipart/form-data");
  const jsonType = fc.constantFrom("application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json", "application/json; charset=utf-16");
  const formTypes = fc.constantFrom("application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"x\"");
  const otherType = fc.constantFrom("", "text/plain", "application/xml", "text/json", "application/octet-stream", "application/jsonx", "json", ";;;", "application/json+", "*/*");
  const rightType = isJson ? jsonType : isForm ? formTypes : otherType;

  return fc.oneof(
    // A plausible body under a content type the operation does not consume (or an odd spelling of its own).
    fc.record({ what: fc.constant("content type"), body: json, contentType: fc.oneof(otherType, formTypes, jsonType) }),
    // Truncated anywhere, or one bit flipped.
    fc.tuple(json, fc.nat(), fc.nat({ max: 7 }), fc.boolean(), rightType).map(([text, at, bit, truncate, contentType]) => {
      const bytes = enc.encode(text);
      return { what: truncate ? "truncated" : "bit flip", body: truncate ? bytes.slice(0, at % Math.max(1, bytes.length)) : flip(bytes, at, bit), contentType };
    }),
    // Duplicated keys, each with two different values.
    fc.subarray(fields, { minLength: 1 }).chain((keys) =>
      fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), fc.oneof(fc.constantFrom(...(world.pools[k] ?? ["x"])), hostileString)))),
    ).map((entries) => ({ what: "duplicated keys", body: duplicatedKeys(entries as [string, unknown][]), contentType: "application/json" })),
    // Lone surrogates and NULs written as JSON escapes, in values and in keys.
    fc.constantFrom(...fields).chain((k) =>
      fc.constantFrom(`{"${k}":"\\ud800"}`, `{"${k}":"\\udc00\\ud800x"}`, `{"${k}\\u0000":1,"${k}":"\\u0000"}`, `{"\\ud83d":"${k}"}`, `{"${k}":"\\u202e\\u0000\\uffff"}`),
    ).map((body) => ({ what: "escapes", body, contentType: "application/json" })),
    // Invalid UTF-8 (overlong, lone continuation, truncated sequence, UTF-16 BOM) inside a JSON string.
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom([0xc0, 0x80], [0x80], [0xe2, 0x82], [0xff, 0xfe], [0xed, 0xa0, 0x80])).map(([k, bad]) => ({
      what: "invalid utf-8",
      body: new Uint8Array([...enc.encode(`{"${k}":"`), ...bad, ...enc.encode(`"}`)]),
      contentType: isForm ? "application/x-www-form-urlencoded" : "application/json",
    })),
    // A BOM, leading garbage, or a JSON value that is not an object.
    fc.tuple(json, fc.constantFrom("\ufeff", "\u0000", " \n\t", ")]}',\n")).map(([text, pre]) => ({ what: "prefix", body: pre + text, contentType: "application/json" })),
    fc.tuple(wrongType, fc.constantFrom(...fields)).map(([v, k]) => ({ what: "wrong type", body: JSON.stringify({ [k]: v }), contentType: "application/json" })),
    // Deep nesting and big arrays as raw text (never built as objects, so the test cannot overflow first).
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom(100, 1000, 20_000), fc.boolean()).map(([k, depth, arrays]) => ({
      what: `nesting ${depth}`,
      body: arrays ? `{"${k}":${"[".repeat(depth)}${"]".repeat(depth)}}` : `{"${k}":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
      contentType: "application/json",
    })),
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom(1000, 100_000)).map(([k, n]) => ({
      what: `array of ${n}`,
      body: `{"${k}":[${Array.from({ length: n }, () => '"x"').join(",")}]}`,
      contentType: "application/json",
    })),
    // Form bodies: odd names and values, file parts, broken multipart, undecodable percent escapes.
    fc.tuple(fc.array(fc.tuple(fc.oneof(fc.constantFrom(...fields), hostileString), hostileString), { maxLength: 4 })).map(([pairs]) => ({
      what: "multipart fields",
      ...multipart(pairs.map(([k, v]) => [k.slice(0, 200), v])),
    })),
    fc.constantFrom(
      "%zz=%&a=%E0%A4%A",
      "=&&==&",
      "voice_base64=%00%00&biometric_type=Face",
      "biometric_type=Face&biometric_type=Voice&voice_base64=AAAA&voice_base64=",
      "exam_id=1&exam_id=2",
      "a".repeat(10_000),
    ).map((body) => ({ what: "urlencoded", body, contentType: "application/x-www-form-urlencoded" })),
    fc.constantFrom(
      '--b\r\nContent-Disposition: form-data; name="voice_base64"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--b--\r\n',
      '--b\r\nContent-Disposition: form-data; name="biometric_type"\r\n\r\nFace',
      "--b\r\n\r\n\r\n--b--",
      "--c\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--c--\r\n",
      '--b\r\nContent-Disposition: form-data; name="biometric_type"\r\n\r\nVoice\r\n--b\r\nContent-Disposition: form-data; name="voice_base64"\r\n\r\n\r\n--b--\r\n',
    ).map((body) => ({ what: "raw multipart", body, contentType: "multipart/form-data; boundary=b" })),
    // Who calls: nobody, the wrong role, an expired, forged, unsigned or refresh token, garbage.
    fc.tuple(json, fc.constantFrom<Hostile["token"]>("none", "wrong", ...world.badTokens)).map(([body, token]) => ({
      what: "token",
      body,
      contentType: isForm ? "application/x-www-form-urlencoded" : "application/json",
      token,
    })),
    // Wrong methods and odd paths.
    fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS", o.method === "GET" ? "POST" : "GET").map((method) => ({ what: "method", method, body: "{}", contentType: "application/json" })),
    fc.constantFrom(`${o.path}//`, `${o.path}/%00`, `${o.path}/..%2f..%2f`, o.path.toUpperCase(), `${o.path}%20`, `${o.path}/${"x".repeat(5000)}`).map((path) => ({
      what: "path",
      path,
      method: o.method,
      body: o.method === "GET" ? undefined : "{}",
      contentType: "application/json",
    })),
  );
}

describe("every TRUSTID operation, hostile transport", () => {
  it("never a 500, always the envelope, nothing stored on refusal", async () => {
    let lastSucceeded = true;
    // Cases name their operation by "METHOD path" (a readable counterexample), looked up here.
    const byName = new Map(all.map((o) => [`${o.method} ${o.path}`, o]));
    const cases = fc.constantFrom(...byName.keys()).chain((name) => hostileFor(byName.get(name)!).map((h) => [name, h] as const));
    await fuzz(
      "TRUSTID transport",
      fc.asyncProperty(cases, async ([name, h]) => {
        const o = byName.get(name)!;
        const withTemplates = o.path.includes("/biometrics/");
        const read = () => visibleState(world, withTemplates);
        const before = lastSucceeded ? await settled(read) : await read();
        const role = roles.get(o)!;
        const token = h.token === undefined || h.token === "right" ? tokenFor(role, world) : h.token === "wrong" ? wrongTokenFor(role, world) : h.token === "none" ? undefined : h.token;
        const method = h.method ?? o.method;
        const headers: Record<string, string> = {};
        if (h.contentType) headers["content-type"] = h.contentType;
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        const answer = await send(`${ORIGIN}${h.path ?? o.path}`, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : h.body });
        const label = `${method} ${h.path ?? o.path} [${h.what}] ${h.contentType ?? ""} ${typeof h.body === "string" ? h.body.slice(0, 200) : ""}`;
        checkTrustid(label, answer, h.path || h.method ? undefined : o.op);
        expect(errors.take(), "unexpected errors logged").toEqual([]);
        lastSucceeded = answer.status < 300;
        if (answer.status >= 300) {
          expectUnchanged(before, await visibleState(world, withTemplates), `${label} ${answer.status}`);
        }
      }),
      runs(150),
      15_000,
    );
  }, 600_000);
});
