// fast-check arbitraries derived from the OpenAPI document's JSON schemas (the subset zod-openapi emits:
// type, enum, const, min/max lengths and values, pattern, format, items, properties, required, anyOf,
// additionalProperties, $ref). Every field gets a mix of plausible values, boundary values, wrong types
// and hostile strings; objects get missing and extra fields. Named pools (`exam_id`, `email`, ...) let
// the tests put real ids and emails (their own, another institution's) where the schema names them.
import fc from "fast-check";

export type Schema = Record<string, any>;
export type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };
/** Values worth trying for a field of this name (e.g. real exam ids), besides what its schema suggests. */
export type Pools = Record<string, unknown[]>;

export function resolve(doc: Doc, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 20; i++) s = doc.components.schemas[String(s.$ref).replace("#/components/schemas/", "")] ?? {};
  if (s.allOf) {
    // zod's .extend() of a named schema: one object with the parts' properties and required fields.
    const parts = (s.allOf as Schema[]).map((p) => resolve(doc, p));
    return {
      type: "object",
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
      required: parts.flatMap((p) => p.required ?? []),
    };
  }
  return s;
}

const LONG = 100_000;
/** Strings that have broken parsers before: empty, blank, numbers in disguise, NUL, bidi, astral, lone surrogates, injections. */
export const hostileString = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\t\n",
    "0",
    "-1",
    "1e309",
    "-0",
    "9007199254740993",
    "NaN",
    "Infinity",
    "null",
    "undefined",
    "true",
    "[]",
    "{}",
    "\u0000",
    "a\u0000b",
    "\u202eevil\u202c",
    "\u05e9\u05dc\u05d5\u05dd",
    "😀𝕏🏳️‍🌈",
    "\ud800",
    "\udfff\ud800",
    "x\ud83d",
    "' OR '1'='1' --",
    "\"; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "%00%ff",
    "${7*7}{{7*7}}",
    "data:",
    "data:image/png;base64,",
    "data:text/plain,hello",
    "http://169.254.169.254/latest/meta-data/",
    "2026-02-30T25:61:61Z",
    "0000-00-00T00:00:00Z",
    "+275760-09-13T00:00:00.001Z",
  ),
  fc.constantFrom("a", "é", "😀", "\ud800").map((c) => c.repeat(LONG / c.length)),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

/** Emails, valid and nearly: case, spaces, unicode, no domain, two @. */
export const emailAddressLike = fc.oneof(
  { arbitrary: fc.emailAddress(), weight: 3 },
  fc.constantFrom("A@B.ORG", " a@b.org ", "ä@ö.de", "a@b", "@b.org", "a@@b.org", "a@b.org\u0000", "a".repeat(300) + "@b.org"),
);

export const hostileNumber = fc.constantFrom(0, -1, 1, -0, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 2 ** 64, 1e308, -1e308, Number.MIN_VALUE);

/** Any JSON value, sometimes big or deep (not via JSON.stringify recursion limits: depth stays moderate). */
export const wrongType = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, [], {}, [null], { "": "" }, JSON.parse('{"__proto__":{"admin":true}}'), { constructor: { prototype: 1 } }),
  hostileNumber,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(Array.from({ length: 10_000 }, (_, i) => i)),
  fc.constant(nested(400)),
);

function nested(depth: number): unknown {
  let v: unknown = "deep";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

function stringFor(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 60, Math.max(min, 60));
  switch (s.format) {
    case "email":
      return fc.emailAddress();
    case "date-time":
      return fc.date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
    case "uuid":
      return fc.uuid();
    case "ip":
      return fc.oneof(fc.ipV4(), fc.ipV6());
  }
  if (s.pattern === "^\\d{1,15}$") return fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }).map(String);
  return fc.string({ minLength: min, maxLength: max });
}

/** Values the schema allows, or nearly (lengths and ranges at and just past their bounds). */
export function validish(doc: Doc, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  if (depth > 4) return fc.constant(null);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  if ("const" in s) return fc.constant(s.const);
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validish(doc, a, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.filter((t: string) => t !== "null")[0] : s.type;
  switch (type) {
    case "string": {
      const edges: string[] = [];
      if (s.minLength) edges.push("x".repeat(s.minLength), "x".repeat(s.minLength - 1));
      if (s.maxLength && s.maxLength <= 300_000) edges.push("y".repeat(s.maxLength), "y".repeat(s.maxLength + 1));
      return edges.length ? fc.oneof({ arbitrary: stringFor(s), weight: 4 }, { arbitrary: fc.constantFrom(...edges), weight: 1 }) : stringFor(s);
    }
    case "integer":
    case "number": {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1000;
      const max = s.maximum ?? s.exclusiveMaximum ?? 1000;
      const inRange = type === "integer" ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }) : fc.double({ min, max, noNaN: true });
      return fc.oneof({ arbitrary: inRange, weight: 4 }, { arbitrary: fc.constantFrom(min, max, min - 1, max + 1), weight: 1 });
    }
    case "boolean":
      return fc.boolean();
    case "array": {
      const item = validish(doc, s.items, depth + 1);
      const maxLength = Math.min(s.maxItems ?? 5, 5);
      const arrays = [fc.array(item, { minLength: Math.min(s.minItems ?? 0, maxLength), maxLength })];
      if (s.maxItems && s.maxItems < 5000) arrays.push(fc.array(item, { minLength: s.maxItems + 1, maxLength: s.maxItems + 1 }));
      return fc.oneof(...arrays);
    }
    case "object":
      return objectOf(doc, s, {}, depth + 1);
  }
  return fc.jsonValue({ maxDepth: 2 });
}

/** One field's value: mostly plausible, else a boundary, a wrong type, a hostile string or a pooled real value. */
export function fieldValue(doc: Doc, name: string, schema: Schema | undefined, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const options: fc.WeightedArbitrary<unknown>[] = [
    { arbitrary: validish(doc, schema, depth), weight: 6 },
    { arbitrary: hostileString, weight: 2 },
    { arbitrary: wrongType, weight: 1 },
  ];
  const pool = pools[name];
  if (pool?.length) options.push({ arbitrary: fc.constantFrom(...pool), weight: 6 });
  return fc.oneof(...options);
}

/** An object body: each documented field present or not (required ones usually), sometimes extra fields. */
export function objectOf(doc: Doc, schema: Schema, pools: Pools, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const s = resolve(doc, schema);
  const required = new Set<string>(s.required ?? []);
  const fields = Object.entries<Schema>(s.properties ?? {}).map(([name, sub]) =>
    fc.tuple(fc.constant(name), fc.option(fieldValue(doc, name, sub, pools, depth), { freq: required.has(name) ? 8 : 2 })),
  );
  const extra = fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "")), wrongType, { maxKeys: 2 });
  return fc.tuple(fc.tuple(...fields), fc.option(extra, { freq: 4 })).map(([entries, more]) => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of entries) if (value !== null) out[name] = value;
    for (const [k, v] of Object.entries(more ?? {})) if (!(k in out)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

/** The request's JSON body: a fuzzed object, or now and then not an object at all. */
export function jsonBodyOf(doc: Doc, schema: Schema, pools: Pools): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: objectOf(doc, schema, pools), weight: 12 }, { arbitrary: wrongType, weight: 1 });
}

/** A form body's fields as name/value pairs (strings only; a name may repeat). */
export function formFieldsOf(doc: Doc, schema: Schema, pools: Pools): fc.Arbitrary<[string, string][]> {
  return objectOf(doc, schema, pools).chain((obj) =>
    fc.tuple(
      fc.constant(Object.entries(obj)),
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(resolve(doc, schema).properties ?? { x: 1 })), hostileString), { maxLength: 2 }),
    ).map(([entries, repeats]) => [
      ...entries.flatMap(([k, v]): [string, string][] =>
        Array.isArray(v) ? v.map((x) => [k, asFormText(x)] as [string, string]) : [[k, asFormText(v)]],
      ),
      ...repeats,
    ]),
  );
}

const asFormText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v) ?? "");

/** Query parameters from the operation's `parameters` (in: query). */
export function queryOf(doc: Doc, op: any, pools: Pools): fc.Arbitrary<[string, string][]> {
  const params = ((op.parameters ?? []) as any[]).filter((p) => p.in === "query");
  if (params.length === 0) return fc.constant([]);
  return fc
    .tuple(...params.map((p) => fc.option(fieldValue(doc, p.name, p.schema, pools), { freq: 2 }).map((v) => [p.name, v] as const)))
    .map((pairs) => pairs.filter(([, v]) => v !== null).map(([k, v]) => [k, asFormText(v)] as [string, string]));
}
