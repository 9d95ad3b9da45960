// Beyond the limits (docs/limits.md) the answer is a clean 429 with Retry-After in the documented envelope,
// and the limit clears once Retry-After has passed. Login: per client IP and per account (the Workers Rate
// Limiting bindings of wrangler.toml, as Miniflare runs them). Biometric endpoints: per student (token
// buckets in the student's Durable Object, the default limits).
import { describe, expect, inject, it } from "vitest";
import { route as loginRoute } from "../../../src/routes/auth/login";
import { route as registerUserRoute } from "../../../src/routes/auth/register-user";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as testRoute } from "../../../src/routes/biometrics/interaction-test";
import { route as monitoringRoute } from "../../../src/routes/monitoring/monitoring";
import { api } from "../api";
import { newSession, registerUser, uniqueEmail } from "../helpers";

const keystroke = inject("signalSamples").keystroke;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Any route's answer: these helpers read only the status, the 429 body and Retry-After. */
type Answer = { status: number; body: unknown; headers: Headers };

/** Sends bursts of `size` concurrent requests until one is refused (a fixed window may reset mid-burst). */
async function burstUntil429(size: number, send: (i: number) => Promise<Answer>): Promise<{ answers: Answer[]; refused: Answer }> {
  const answers: Answer[] = [];
  for (let round = 0; round < 3; round++) {
    answers.push(...(await Promise.all(Array.from({ length: size }, (_, i) => send(round * size + i)))));
    const refused = answers.find((a) => a.status === 429);
    if (refused) return { answers, refused };
  }
  throw new Error(`no 429 after ${answers.length} requests: ${[...new Set(answers.map((a) => a.status))].join(", ")}`);
}

function expect429(res: Answer, message: RegExp) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ message: expect.stringMatching(message) });
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${res.headers.get("retry-after")}`).toBe(true);
  return retryAfter;
}

describe("rate limits", () => {
  it("login: per client IP and per account, 429 with Retry-After, cleared after it", { timeout: 40_000 }, async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 6)}`; // any string keys the limiter
    const fromIp = (headers: Record<string, string> = {}) => (i: number) =>
      api(loginRoute, { json: { email: uniqueEmail(`ip${i}`), password: "not the password", organization: "NOPE" }, headers: { "cf-connecting-ip": ip, ...headers } });
    const user = await registerUser();
    const asUser = () => api(loginRoute, { json: { email: user.email, password: user.password, organization: user.organization } });

    const byIp = async () => {
      const { answers, refused } = await burstUntil429(70, fromIp());
      // Everything not refused went on to the normal answer (an unknown organization: the 401 of any failed login); nothing else.
      expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
      const wait = expect429(refused, /address/);
      // Another address is not affected.
      expect((await api(loginRoute, { json: { email: uniqueEmail(), password: "x".repeat(10), organization: "NOPE" }, headers: { "cf-connecting-ip": `${ip}-other` } })).status).toBe(401);
      await sleep(wait * 1000);
      expect((await fromIp()(0)).status).toBe(401);
    };
    const byAccount = async () => {
      const { answers, refused } = await burstUntil429(12, () => asUser());
      expect(answers.every((a) => a.status === 201 || a.status === 429)).toBe(true);
      const wait = expect429(refused, /account/);
      await sleep(wait * 1000);
      expect((await asUser()).status).toBe(201);
    };
    await Promise.all([byIp(), byAccount()]);
  });

  it("registration: per client IP, before any password hash (a probe's flood from one address made every login a 503)", { timeout: 40_000 }, async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}-${crypto.randomUUID().slice(0, 6)}`;
    // Bodies the validation refuses (400): the limit is counted before the body is read, so no account is made here.
    const fromIp = () => api(registerUserRoute, { unchecked: { email: "not an address" }, headers: { "cf-connecting-ip": ip } });
    const { answers, refused } = await burstUntil429(30, fromIp);
    expect(answers.every((a) => a.status === 400 || a.status === 429)).toBe(true);
    const wait = expect429(refused, /registrations from this address/);
    expect((await api(registerUserRoute, { unchecked: {}, headers: { "cf-connecting-ip": `${ip}-other` } })).status).toBe(400);
    await sleep(wait * 1000);
    expect((await fromIp()).status).toBe(400);
  });

  it("biometric endpoints: per student and per kind, 429 with Retry-After, cleared after it", { timeout: 30_000 }, async () => {
    const s = await newSession("STUDENT");
    const other = await newSession("STUDENT");
    const train = (token: string) => api(trainRoute, { token, json: { training_dataset: keystroke.train } });
    const test = (token: string) => api(testRoute, { token, json: { testing_dataset: keystroke.genuine } });
    expect((await train(s.access)).status).toBe(200);
    expect((await train(other.access)).status).toBe(200);

    // Verifications: 60 a minute by default, all at once allowed, then refused.
    const answers = await Promise.all(Array.from({ length: 70 }, () => test(s.access)));
    const passed = answers.filter((a) => a.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(60);
    expect(passed).toBeLessThan(70);
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    const refused = answers.find((a) => a.status === 429)!;
    const wait = expect429(refused, /verification requests for this student/);
    expect(wait).toBeLessThanOrEqual(2); // one token refills in a second

    // Other kinds of request and other students have their own buckets.
    expect((await train(s.access)).status).toBe(200);
    expect((await test(other.access)).status).toBe(200);

    await sleep(wait * 1000);
    expect((await test(s.access)).status).toBe(200);
  });

  it("device reports (/monitoring/) count against the student's monitoring limit", { timeout: 30_000 }, async () => {
    const s = await newSession("STUDENT");
    const other = await newSession("STUDENT");
    // An exam that does not exist: each allowed report is a 404 (the limit is counted before the body is read).
    const report = (token: string) => api(monitoringRoute, { token, json: { exam_id: 987_654_321, running_processes: [] } });
    const answers = await Promise.all(Array.from({ length: 70 }, () => report(s.access)));
    const allowed = answers.filter((a) => a.status === 404).length;
    expect(allowed).toBeGreaterThanOrEqual(60);
    expect(allowed).toBeLessThan(70);
    expect(answers.every((a) => a.status === 404 || a.status === 429)).toBe(true);
    expect429(answers.find((a) => a.status === 429)!, /monitoring requests for this student/);
    expect((await report(other.access)).status).toBe(404);
  });

  it("pictures above 8 MP count against the student's large-picture limit (12 a minute), before they are decoded", { timeout: 60_000 }, async () => {
    const s = await newSession("STUDENT");
    const other = await newSession("STUDENT");
    // A PNG header claiming 4000x3000 (12 MP) and nothing else: cheap here, undecodable once it got to the decoder.
    const w = 4000, h = 3000;
    const header = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, w >>> 24, (w >> 16) & 255, (w >> 8) & 255, w & 255, h >>> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255, 8, 2, 0, 0, 0];
    const large = btoa(String.fromCharCode(...header));
    const register = (token: string) => api(faceRegisterRoute, { token, json: { images: [large] } });
    // 12 pictures go to the decoder (refused there: no image data); then the limit answers, before any decoding.
    for (let i = 0; i < 12; i++) expect((await register(s.access)).status).toBe(400);
    expect429(await register(s.access), /pictures above 8 megapixels for this student \(at most 12 a minute\)/);
    expect((await register(other.access)).status).toBe(400);
  });
});
