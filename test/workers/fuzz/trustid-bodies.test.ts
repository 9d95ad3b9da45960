// Property-based fuzzing of every TRUSTID operation in the served OpenAPI document: bodies (JSON or form)
// and query parameters derived from its request schema, sent with a valid token of the role it needs.
// The property: never a 500, always the documented envelope and a documented status, no unexpected error
// logged, and nothing stored when the request is refused (the instructor's and the student's views, and
// for /register_user the user table).
import fc from "fast-check";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { users } from "../../../src/db/schema";
import type { Doc, Pools } from "./schema-arbitraries";
import { checkTrustid, fuzz, openApiDocument, type Operation, operations, runs, send, watchUnexpectedErrors } from "./support";
import { bodyOf, encodeBody, queryArbitrary, requestInit, type Role, roleOf, tokenFor, urlOf } from "./trustid-requests";
import { db, makeWorld, expectUnchanged, settled, visibleState, type World } from "./world";

let doc: Doc;
let world: World;
let pools: Pools;
const roles = new Map<string, Role>();
const errors = watchUnexpectedErrors();
const key = (o: Operation) => `${o.method} ${o.path}`;

const all = await operations("/backend");
// These reach the face models when a picture decodes: fewer runs (the samples file covers pictures).
const FACE = /face_register|face_verify|monitoring_face|identification|biometrics\/(register|verify)$/;

beforeAll(async () => {
  doc = await openApiDocument();
  world = await makeWorld();
  const samples = inject("signalSamples");
  pools = {
    ...world.pools,
    training_dataset: [samples.keystroke.train, JSON.stringify(samples.keystroke.train.split("\n"))],
    testing_dataset: [samples.keystroke.genuine, samples.keystroke.impostor],
    expoPushToken: ["ExponentPushToken[fuzz-0000000000]", "ExpoPushToken[x]", "ExponentPushToken[]"],
  };
  for (const o of all) roles.set(key(o), await roleOf(o, world));
}, 120_000);
afterAll(() => errors.restore());

const usersWithEmail = async (email: unknown) => {
  if (typeof email !== "string") return -1;
  const [row] = await db().select({ n: sql<number>`count(*)` }).from(users).where(eq(users.email, email.trim().toLowerCase()));
  return Number(row?.n ?? 0);
};

describe("every TRUSTID operation, schema-derived input", () => {
  it("finds every operation of the document and the role each needs", () => {
    expect(all.length).toBeGreaterThanOrEqual(37);
    expect([...roles.values()].filter((r) => r === "none").length).toBeLessThanOrEqual(5); // register, login, refresh, version, docs
    // The document says which operations need a token: exactly those that answer 401 without one.
    for (const o of all) expect(Boolean(o.op.security?.length), `${key(o)} documents its Bearer security`).toBe(roles.get(key(o)) !== "none");
  });

  it.each(all.map((o) => [key(o), o] as const))("%s", async (name, o) => {
    const role = roles.get(name)!;
    let before: string | undefined;
    await fuzz(
      name,
      fc.asyncProperty(bodyOf(doc, o, pools), queryArbitrary(doc, o, pools), fc.boolean(), async (body, query, trailingSlash) => {
        const stateChanging = o.method !== "GET";
        const withTemplates = o.path.includes("/biometrics/");
        if (stateChanging) before ??= await settled(() => visibleState(world, withTemplates));
        const emailBefore = o.path === "/backend/register_user" && body.kind === "json" ? await usersWithEmail((body.value as any)?.email) : 0;

        const answer = await send(urlOf(o, query, trailingSlash), requestInit(o, tokenFor(role, world), encodeBody(body)));
        checkTrustid(`${name} ${JSON.stringify(body).slice(0, 300)} ?${JSON.stringify(query).slice(0, 100)}`, answer, o.op);
        expect(errors.take(), "unexpected errors logged").toEqual([]);

        if (answer.status >= 300 && stateChanging) {
          expectUnchanged(before!, await visibleState(world, withTemplates), `${name} ${answer.status} ${JSON.stringify(body).slice(0, 300)}`);
          if (o.path === "/backend/register_user" && body.kind === "json") expect(await usersWithEmail((body.value as any)?.email)).toBe(emailBefore);
        } else {
          before = undefined; // a success may change the state: read it again next time
        }
      }),
      runs(FACE.test(o.path) ? 4 : 10),
      1_200,
    );
  }, 600_000);
});
