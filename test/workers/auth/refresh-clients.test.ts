// /refresh_token from the clients' side, through whole exams with the clock moved (the request's "now"
// comes from Date.now(), which these tests fake; the database server runs on the real clock):
// - a client that follows the spec to the letter reads only `resource_str` and keeps its first refresh token;
// - a client that follows rotation reads `resource_obj.refresh` each time;
// - thieves: reuse detection must still revoke the login wherever the two clients can be told apart.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { route as refreshTokenRoute } from "../../../src/routes/auth/refresh-token";
import { route as studentListExam } from "../../../src/routes/student/list-exam";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";

const MINUTE = 60_000;
const ACCESS_TTL = 10 * MINUTE; // ACCESS_TOKEN_TTL_SECONDS default
const EXAM = 3 * 60 * MINUTE;

let clock = 0;
const moveClock = (ms: number) => {
  clock += ms;
  vi.setSystemTime(clock);
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] }); // only Date: timeouts and the database client keep real timers
  clock = Date.now();
  vi.setSystemTime(clock);
});
afterEach(() => {
  vi.useRealTimers();
});

const refreshWith = (refresh: string) => api(refreshTokenRoute, { json: { refresh } });
const listExams = (access: string) => api(studentListExam, { token: access });

/** Reads what the spec says the response carries: the access token in `resource_str`. Nothing else. */
class SpecClient {
  constructor(
    public access: string,
    readonly refresh: string,
  ) {}
  async renew() {
    const res = await refreshWith(this.refresh);
    if (res.status === 201) this.access = res.body.resource_str;
    return res;
  }
}

/** Also reads the rotated refresh token from `resource_obj`. */
class RotatingClient {
  constructor(
    public access: string,
    public refresh: string,
  ) {}
  async renew() {
    const res = await refreshWith(this.refresh);
    if (res.status === 201) {
      this.access = res.body.resource_obj.access;
      this.refresh = res.body.resource_obj.refresh;
    }
    return res;
  }
}

/** Sits an exam: every time the access token expires, the client renews it and goes on working. */
async function sitExam(client: SpecClient | RotatingClient, duration = EXAM) {
  for (let elapsed = 0; elapsed < duration; elapsed += ACCESS_TTL) {
    moveClock(ACCESS_TTL);
    expect((await listExams(client.access)).status).toBe(401); // expired: the clock really moved
    const renewed = await client.renew();
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(201);
    expect((await listExams(client.access)).status).toBe(200);
  }
}

describe("a client that reads only resource_str (the spec's response)", () => {
  it("stays logged in through a 3-hour exam, renewing with its first refresh token every 10 minutes", async () => {
    const s = await newSession();
    const client = new SpecClient(s.access, s.refresh);
    await sitExam(client);
    // Every renewal offered the same rotated token: the login token has one successor, never used.
    const a = await client.renew();
    const b = await client.renew();
    expect(bodyAt(a, 201).resource_obj.refresh).toBe(bodyAt(b, 201).resource_obj.refresh);
    expect(bodyAt(a, 201).resource_obj.refresh).not.toBe(s.refresh);
  });

  it("is bounded by its refresh token's lifetime (REFRESH_TOKEN_TTL_SECONDS, default 7 days)", async () => {
    const s = await newSession();
    const client = new SpecClient(s.access, s.refresh);
    moveClock(7 * 24 * 60 * MINUTE - MINUTE);
    expect((await client.renew()).status).toBe(201);
    moveClock(2 * MINUTE);
    const late = await client.renew();
    expect(late.status).toBe(401);
    expect(late.body).toEqual({ message: "Refresh token has expired" });
  });

  it("can switch to following rotation at any time; its first refresh token then stops working", async () => {
    const s = await newSession();
    const spec = new SpecClient(s.access, s.refresh);
    await sitExam(spec, 30 * MINUTE);
    const upgraded = new RotatingClient(spec.access, bodyAt(await spec.renew(), 201).resource_obj.refresh);
    await sitExam(upgraded, 30 * MINUTE);
    // A replay of the login token now is a theft signal like any other reuse.
    expect((await refreshWith(s.refresh)).status).toBe(401);
    expect((await upgraded.renew()).status).toBe(401);
  });
});

describe("a client that follows rotation (reads resource_obj.refresh)", () => {
  it("stays logged in through a 3-hour exam, a new refresh token each time", async () => {
    const s = await newSession();
    const client = new RotatingClient(s.access, s.refresh);
    const seen = new Set([s.refresh]);
    for (let i = 0; i < EXAM / ACCESS_TTL; i++) {
      await sitExam(client, ACCESS_TTL);
      expect(seen.has(client.refresh)).toBe(false);
      seen.add(client.refresh);
    }
  });
});

describe("theft: reuse detection still revokes the login", () => {
  it("a thief who stole a spec client's refresh token and follows rotation gets both logged out", async () => {
    const s = await newSession();
    const victim = new SpecClient(s.access, s.refresh);
    await sitExam(victim, 20 * MINUTE);
    const thief = new RotatingClient("", s.refresh);
    expect((await thief.renew()).status).toBe(201); // indistinguishable from the victim so far
    expect((await thief.renew()).status).toBe(201); // a rotated token: the family now follows rotation
    moveClock(ACCESS_TTL);
    const victimAgain = await victim.renew();
    expect(victimAgain.status).toBe(401);
    expect(victimAgain.body.message).toMatch(/already used/);
    expect((await thief.renew()).status).toBe(401);
  });

  it("a thief replaying an old token of a rotating client gets both logged out", async () => {
    const s = await newSession();
    const victim = new RotatingClient(s.access, s.refresh);
    await sitExam(victim, 30 * MINUTE);
    expect((await refreshWith(s.refresh)).status).toBe(401); // the login token, replayed
    expect((await victim.renew()).status).toBe(401);

    const s2 = await newSession();
    const victim2 = new RotatingClient(s2.access, s2.refresh);
    await sitExam(victim2, 20 * MINUTE);
    const stolen = victim2.refresh;
    await sitExam(victim2, 10 * MINUTE);
    moveClock(MINUTE); // beyond the grace for a retry (REFRESH_REUSE_GRACE_MS, 30 s)
    expect((await refreshWith(stolen)).status).toBe(401); // a rotated token, replayed after the victim used it
    expect((await victim2.renew()).status).toBe(401);
  });

  it("a thief who replays a rotating client's login token before its second renewal shares its successor, then is caught", async () => {
    const s = await newSession();
    const victim = new RotatingClient(s.access, s.refresh);
    await sitExam(victim, ACCESS_TTL); // used the login token once, holds its successor
    const thief = new RotatingClient("", s.refresh);
    expect((await thief.renew()).status).toBe(201); // honoured: looks like a client reading only resource_str
    expect(thief.refresh).toBe(victim.refresh); // ... but it gets the victim's own successor, nothing new
    moveClock(ACCESS_TTL);
    expect((await victim.renew()).status).toBe(201);
    moveClock(MINUTE); // beyond the grace for a retry (REFRESH_REUSE_GRACE_MS, 30 s)
    expect((await thief.renew()).status).toBe(401); // the second use of that successor revokes the login
    expect((await victim.renew()).status).toBe(401);
  });

  it("of two concurrent uses of the login token or of a rotated token both succeed with the same successor", async () => {
    const s = await newSession();
    const both = await Promise.all([refreshWith(s.refresh), refreshWith(s.refresh)]);
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    expect(bodyAt(both[0]!, 201).resource_obj.refresh).toBe(bodyAt(both[1]!, 201).resource_obj.refresh);
    const rotated = bodyAt(both[0]!, 201).resource_obj.refresh;
    const race = await Promise.all([refreshWith(rotated), refreshWith(rotated)]);
    expect(race.map((r) => r.status)).toEqual([201, 201]);
    expect(bodyAt(race[0]!, 201).resource_obj.refresh).toBe(bodyAt(race[1]!, 201).resource_obj.refresh);
  });
});
