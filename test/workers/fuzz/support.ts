// What every fuzz test shares: how many runs (FUZZ_RUNS, FUZZ_SEED from vitest.config.ts), sending a raw
// request through SELF, and the property every answer must have: never a 500 (a 503 or a documented 502
// only on purpose), and every refusal in the documented envelope of its API.
import { env, SELF } from "cloudflare:test";
import fc from "fast-check";
import { expect } from "vitest";
import type { Doc } from "./schema-arbitraries";

const settings = env as unknown as { FUZZ_RUNS?: string; FUZZ_SEED?: string };

/**
 * Runs of a property: `base` by default (keeps the suite fast). FUZZ_RUNS=n scales every property as if the
 * default were 10 runs per operation: FUZZ_RUNS=200 gives 20 times the default runs everywhere.
 */
export function runs(base: number): number {
  const wanted = Number(settings.FUZZ_RUNS);
  return Number.isFinite(wanted) && wanted > 0 ? Math.max(1, Math.round((wanted * base) / 10)) : base;
}

/**
 * fc.assert with our defaults: a printed seed (FUZZ_SEED replays a failing run; fast-check prints the seed
 * and path of every counterexample) and a bounded shrink (a request is slow next to a pure function).
 */
export async function fuzz<T>(name: string, property: fc.IAsyncProperty<T>, numRuns: number, budgetMs = 2_000) {
  const seed = Number(settings.FUZZ_SEED) || (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const started = Date.now();
  // By default a property also stops at its time budget (slow endpoints get fewer runs; every run of the
  // suite draws new values). A long run (FUZZ_RUNS) does all its runs.
  const timeLimit = settings.FUZZ_RUNS ? 60 * 60_000 : budgetMs;
  const out = await fc.check(property, { numRuns, seed, interruptAfterTimeLimit: timeLimit, markInterruptAsFailure: false });
  console.log(`[fuzz] ${name}: ${out.numRuns} of ${numRuns} runs, seed ${seed}, ${Date.now() - started} ms (replay with FUZZ_SEED=${seed})`);
  // (A property interrupted by its time budget without a counterexample has not failed.)
  if (out.failed && out.counterexample !== null) {
    const cause = out.errorInstance instanceof Error ? `\n${out.errorInstance.message}` : "";
    throw new Error(`${name}: ${fc.defaultReportMessage(out)}${cause}`);
  }
}

export type Answer = { status: number; headers: Headers; text: string; body: any };

export async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await SELF.fetch(new Request(url, init));
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const describeAnswer = (what: string, a: Answer) => `${what} -> ${a.status} ${a.text.slice(0, 400)}`;
const isStringArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
const keysOf = (v: unknown) => Object.keys(v as object).sort();

/** Statuses an operation may answer besides those it lists (the middleware's, shared by all routes). */
const ALWAYS = ["400", "401", "403", "405", "413", "415", "429"];

/**
 * The TRUSTID property. `op` (the operation in the OpenAPI document) is given when the request reached a
 * documented route; then the status must be one it documents.
 */
export function checkTrustid(what: string, a: Answer, op?: any) {
  const where = describeAnswer(what, a);
  expect(a.status, where).not.toBe(500);
  expect(a.headers.get("content-type") ?? "", where).toMatch(/^application\/json/);
  expect(a.body !== null && typeof a.body === "object" && !Array.isArray(a.body), `${where}: a JSON object`).toBe(true);
  if (op) expect([...Object.keys(op.responses ?? {}), ...ALWAYS], `${where}: a documented status`).toContain(String(a.status));
  const b = a.body;
  if (a.status < 300) {
    expect(typeof b.message === "string" && typeof b.resource_name === "string", `${where}: success envelope`).toBe(true);
    return;
  }
  expect(typeof b.message === "string" && b.message.length > 0, `${where}: a message`).toBe(true);
  expect(a.text.length, `${where}: a short error, not an echo of the input`).toBeLessThan(16_384);
  switch (a.status) {
    case 400: {
      expect(keysOf(b), where).toEqual(["already_exists_fields", "bad_formatted_fields", "error_details", "message", "missing_required_fields"]);
      for (const k of ["missing_required_fields", "bad_formatted_fields", "already_exists_fields"]) expect(isStringArray(b[k]), `${where}: ${k}`).toBe(true);
      expect(b.error_details !== null && typeof b.error_details === "object" && !Array.isArray(b.error_details), where).toBe(true);
      const details = Object.entries<unknown>(b.error_details);
      expect(details.length, `${where}: says what is wrong`).toBeGreaterThan(0);
      for (const [, messages] of details) expect(isStringArray(messages) && (messages as string[]).length > 0, where).toBe(true);
      for (const f of [...b.missing_required_fields, ...b.bad_formatted_fields, ...b.already_exists_fields]) {
        expect(Object.hasOwn(b.error_details, f), `${where}: details for ${f}`).toBe(true);
      }
      break;
    }
    case 404:
      expect(keysOf(b), where).toEqual(["message", "resource_name", "resource_str"]);
      expect(typeof b.resource_name === "string" && typeof b.resource_str === "string", where).toBe(true);
      break;
    case 405:
      expect(keysOf(b), where).toEqual(["message"]);
      expect(a.headers.get("allow"), `${where}: Allow`).toBeTruthy();
      break;
    case 429:
      expect(keysOf(b), where).toEqual(["message"]);
      expect(Number(a.headers.get("retry-after")), `${where}: Retry-After`).toBeGreaterThan(0);
      break;
    default:
      if (a.status >= 500) {
        // Deliberate 5xx only: a 503 that says when to retry, or a 502 the operation documents (Moodle).
        expect(a.status === 503 ? a.headers.get("retry-after") !== null : Boolean(op?.responses?.[String(a.status)]), `${where}: a deliberate ${a.status}`).toBe(true);
        expect(keysOf(b), where).toEqual(["message", "request_id"]);
      } else {
        expect(keysOf(b), where).toEqual(["message"]);
      }
  }
}

/**
 * The partner API's property: ProctorExam's `{"error": "..."}` (or `{"field": ["..."]}` for a 422), never
 * a 5xx; its error handler turns unexpected failures into a 503 with a request id, which here is a bug.
 */
export function checkPartner(what: string, a: Answer) {
  const where = describeAnswer(what, a);
  expect(a.status, where).toBeLessThan(500);
  expect(a.headers.get("content-type") ?? "", where).toMatch(/^application\/json/);
  expect(a.body !== null && typeof a.body === "object", `${where}: JSON`).toBe(true);
  if (a.status < 300) return;
  const b = a.body;
  expect(a.text.length, `${where}: a short error, not an echo of the input`).toBeLessThan(16_384);
  const plain = keysOf(b).join() === "error" && typeof b.error === "string" && b.error.length > 0;
  const fieldErrors = a.status === 422 && Object.keys(b).length > 0 && Object.values(b).every(isStringArray);
  expect(plain || fieldErrors, `${where}: partner error body`).toBe(true);
}

/** Captures the Worker's logged unexpected errors (it runs in this isolate), to fail on any of them. */
export function watchUnexpectedErrors() {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.includes('"level":"error"')) logged.push(line);
    original(...args);
  };
  return {
    take: () => logged.splice(0),
    restore: () => {
      console.error = original;
    },
  };
}

let docPromise: Promise<Doc> | undefined;
/** The OpenAPI document as the service serves it. */
export function openApiDocument(): Promise<Doc> {
  docPromise ??= send("http://trustid.test/backend/openapi.json", {}).then((a) => a.body as Doc);
  return docPromise;
}

export type Operation = { method: string; path: string; op: any };
export async function operations(prefix: string): Promise<Operation[]> {
  const doc = await openApiDocument();
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith(prefix))
    .flatMap(([path, ops]) => Object.entries<any>(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
}
