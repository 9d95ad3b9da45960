// Handwriting through /biometrics/register, /verify, /list and /unregister with real MCYT signatures
// (test/signals-setup.ts reads them in Node): genuine accepted, skilled forgery and another writer refused,
// every kind of bad sample a 400 that leaves the stored model as it was.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { route as myDataRoute } from "../../../src/routes/student/my-data";
import { handwritingOperatingPoint } from "../../../src/biometrics/handwriting/operating-points";
import { DEFAULT_HANDWRITING_PARAMS, HANDWRITING_PARAMS_WITHOUT_PRESSURE } from "../../../src/biometrics/handwriting/model";
import { SECURITY_LEVELS } from "../../../src/biometrics/security-level";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { templatesOf } from "./fixtures";

const samples = inject("signalSamples").handwriting;
const b64 = (text: string) => btoa(text);
/** The sample in `voice_base64` (base64) or `src` (a data: URI), urlencoded. */
const fields = (payload: string, field: "voice_base64" | "src") =>
  field === "src" ? { biometric_type: "Handwriting" as const, src: payload } : { biometric_type: "Handwriting" as const, voice_base64: payload };
const register = (token: string, payload: string, field: "voice_base64" | "src" = "voice_base64") => api(registerRoute, { token, urlencoded: fields(payload, field) });
const verify = (token: string, payload: string, field: "voice_base64" | "src" = "voice_base64") => api(verifyRoute, { token, urlencoded: fields(payload, field) });

/** MCYT rows (t x y pressure ...) as the JSON points a browser would send. */
const asPoints = (text: string) =>
  text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/).map(Number))
    .map(([t, x, y, p]) => ({ t: t! * 1000, x, y, pressure: p }));

/** Several signatures in one request: the voice_base64 field repeated. */
const registerMany = (token: string, payloads: string[]) => api(registerRoute, { token, urlencoded: { biometric_type: "Handwriting", voice_base64: payloads } });

/** The student's handwriting enrolment session, as the Durable Object holds it. */
async function session(token: string) {
  return runInDurableObject(templatesOf(token), async (_o, state) =>
    state.storage.sql.exec("SELECT model_id, updated_at, length(ciphertext) AS bytes FROM enrolment_sessions").toArray(),
  );
}

/** What is stored for the student: type, version and ciphertext of each row. */
async function stored(token: string) {
  return runInDurableObject(templatesOf(token), async (_o, state) =>
    state.storage.sql.exec("SELECT biometric_type, version, hex(ciphertext) AS c FROM templates ORDER BY biometric_type").toArray(),
  );
}

describe("Handwriting register / verify / list / unregister", () => {
  it("enrols 5 signatures, accepts a genuine one, refuses a skilled forgery and another writer", async () => {
    const s = await newSession("STUDENT");
    const notYet = await verify(s.access, b64(samples.genuine));
    expect(notYet.status).toBe(404);
    expect(notYet.body).toMatchObject({ resource_name: "biometric", resource_str: "Handwriting" });

    const reg = await register(s.access, b64(JSON.stringify(samples.enrol)));
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    expect(reg.body).toMatchObject({ resource_name: "Handwriting", resource_bool: true, resource_dict: { samples: 5, version: 1 } });

    // Stored sealed: no trace of the model's JSON in the row.
    const rows = await stored(s.access);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.biometric_type).toBe("Handwriting");
    expect(String(rows[0]!.c)).not.toContain(Array.from(new TextEncoder().encode('"kind"'), (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase());

    const list = await api(listRoute, { token: s.access });
    expect(list.body).toMatchObject({ resource_array: ["Handwriting"], resource_dict: { Handwriting: "active" } });

    // The genuine signature as JSON points (milliseconds), the others as the data's text rows.
    const genuine = await verify(s.access, b64(JSON.stringify(asPoints(samples.genuine))));
    expect(genuine.status, JSON.stringify(genuine.body)).toBe(200);
    expect(genuine.body).toMatchObject({ resource_name: "Handwriting", is_match: true, resource_bool: true, is_voice_detected: false });
    expect(bodyAt(genuine, 200).resource_dict.score).toBeGreaterThan(0.5);
    expect(bodyAt(genuine, 200).resource_dict.distance).toBeLessThanOrEqual(bodyAt(genuine, 200).resource_dict.threshold);

    const forgery = await verify(s.access, b64(samples.forgery));
    expect(forgery.status).toBe(200);
    expect(forgery.body).toMatchObject({ is_match: false, resource_bool: false, resource_dict: { is_match: false } });
    expect(bodyAt(forgery, 200).resource_dict.score).toBeLessThan(0.5);
    const other = await verify(s.access, `data:text/plain;base64,${b64(samples.otherWriter)}`, "src");
    expect(other.status).toBe(200);
    expect(bodyAt(other, 200).is_match).toBe(false);

    // Enrolling again replaces the model and bumps the version.
    const again = await register(s.access, b64(JSON.stringify({ samples: samples.enrol.slice(0, 3) })));
    expect(again.status).toBe(201);
    expect(bodyAt(again, 201).resource_dict).toEqual({ samples: 3, version: 2 });

    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Handwriting" } })).status).toBe(200);
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_array).toEqual([]);
    expect((await verify(s.access, b64(samples.genuine))).status).toBe(404);
  });

  it("decides a model enrolled without pressure (a browser, a finger) at its own, stricter thresholds", async () => {
    // The same signatures as a browser without a stylus reports them: no pressure, no pen-up points.
    const penless = (text: string) =>
      text
        .trim()
        .split(/\r?\n/)
        .map((l) => l.trim().split(/\s+/).map(Number))
        .filter(([, , , p]) => p! > 0)
        .map(([t, x, y]) => ({ t: t! * 1000, x, y }));
    const s = await newSession("STUDENT");
    const enrol = samples.enrol.map(penless);
    const reg = await register(s.access, b64(JSON.stringify(enrol)));
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const genuine = await verify(s.access, b64(JSON.stringify(penless(samples.genuine))));
    expect(genuine.status, JSON.stringify(genuine.body)).toBe(200);
    const threshold = bodyAt(genuine, 200).resource_dict.threshold;
    const penlessModel = { hasPressure: false, params: HANDWRITING_PARAMS_WITHOUT_PRESSURE };
    expect(SECURITY_LEVELS.map((l) => handwritingOperatingPoint(l, penlessModel).threshold)).toContain(threshold);
    expect(SECURITY_LEVELS.map((l) => handwritingOperatingPoint(l, { hasPressure: true, params: DEFAULT_HANDWRITING_PARAMS }).threshold)).not.toContain(threshold);
    const forgery = await verify(s.access, b64(JSON.stringify(penless(samples.forgery))));
    expect(bodyAt(forgery, 200).is_match).toBe(false);
    // A signature with pressure against that model is refused as input, not scored on the wrong yardstick.
    const withPressure = await verify(s.access, b64(samples.genuine));
    expect(withPressure.status).toBe(400);
  });

  it("bad samples are 400s naming the field, and change no template", async () => {
    const s = await newSession("STUDENT");
    expect((await register(s.access, b64(JSON.stringify(samples.enrol)))).status).toBe(201);
    const before = await stored(s.access);
    const onePoint = [{ t: 0, x: 1, y: 1, pressure: 1 }];
    const good = samples.enrol.slice(0, 3);
    const badRegistrations: [string, string, RegExp][] = [
      ["eleven signatures", b64(JSON.stringify([...samples.enrol, ...samples.enrol, samples.genuine])), /got 11/],
      ["empty list", b64("[]"), /trajectory is empty/],
      ["a one-point signature alone", b64(JSON.stringify(onePoint)), /single point/],
      ["samples that are not a list", b64(JSON.stringify({ samples: 3 })), /"samples" must be a list/],
      ["an empty trajectory", b64(JSON.stringify([...good, []])), /signature 4: trajectory is empty/],
      ["a one-point trajectory", b64(JSON.stringify([...good, onePoint])), /signature 4: trajectory has a single point/],
      ["NaN", b64(JSON.stringify([...good, [{ t: 0, x: 1, y: 1 }, { t: 10, x: "NaN", y: 2 }]])), /signature 4: point 2.x: "NaN" is not a finite number/],
      ["negative pressure", b64(JSON.stringify([...good, [{ t: 0, x: 1, y: 1, pressure: 1 }, { t: 500, x: 2, y: 2, pressure: -1 }]])), /pressure is negative/],
      ["a coordinate of 1e308 (was scored NaN)", b64(JSON.stringify([...good, [[0, 1, 1e308, 1], [500, 2, 2, 1]]])), /point 1: a coordinate is beyond/],
      ["a pressure of 1e308", b64(JSON.stringify([...good, [[0, 1, 1, 1e308], [500, 2, 2, 1]]])), /point 1: pressure 1e\+308 is above/],
      ["time going backwards", b64(JSON.stringify([...good, [[0, 1, 1, 1], [500, 2, 2, 1], [400, 3, 3, 1]]])), /time goes backwards/],
      ["a row with 3 fields", b64(JSON.stringify([...good, "0 1 1 1\n0.5 2 2"])), /row 2 has 3 fields/],
      ["mixed pressure", b64(JSON.stringify([...good, [[0, 1, 1], [500, 5, 2], [900, 3, 8]]])), /pressure/],
      ["JSON that does not parse", b64("[[{"), /does not parse/],
      ["a 31 s signature", b64(JSON.stringify([...good, [[0, 1, 1, 1], [10_000, 2, 2, 1], [31_000, 3, 1, 1]]])), /signature 4: trajectory lasts 31000 ms; at most 30000/],
      ["not base64", "not base64!", /Not valid base64/],
      ["blank", " ", /may not be blank|Send the sample/],
    ];
    for (const [what, payload, pattern] of badRegistrations) {
      const res = await register(s.access, payload);
      expect(res.status, what).toBe(400);
      const messages = Object.values(expect400Shape(bodyAt(res, 400)).error_details).flat().join(" ");
      expect(messages, what).toMatch(pattern);
    }
    const badSrc = await register(s.access, `data:image/png;base64,${b64("[]")}`, "src");
    expect(badSrc.status).toBe(400);
    expect(bodyAt(badSrc, 400).bad_formatted_fields).toEqual(["src"]);
    const url = await register(s.access, "https://example.org/sig.json", "src");
    expect(url.status).toBe(400);

    const badVerifications: [string, string, RegExp][] = [
      ["empty", b64("[]"), /trajectory is empty/],
      ["one point", b64(JSON.stringify(onePoint)), /single point/],
      ["a list of signatures", b64(JSON.stringify(good)), /one signature/],
      ["NaN row", b64("0 1 1 1\n0.5 NaN 2 1"), /not a finite number/],
      // 31 s in seconds, a point every 10 ms (two points 31 units apart read as 31 ms now: too short, below).
      ["too long", b64(Array.from({ length: 3101 }, (_, i) => `${(i / 100).toFixed(2)} ${i} ${i % 5} 1`).join("\n")), /lasts 31000 ms; at most 30000/],
      ["a tap", b64(JSON.stringify([[0, 0, 0], [10, 3, 2]])), /lasts 10 ms, too short for a signature/],
      ["no pressure against a model with pressure", b64(JSON.stringify(asPoints(samples.genuine).map(({ t, x, y }) => ({ t, x, y })))), /enrolled with pen pressure/],
    ];
    for (const [what, payload, pattern] of badVerifications) {
      const res = await verify(s.access, payload);
      expect(res.status, what).toBe(400);
      expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields, what).toEqual(["voice_base64"]);
      expect(bodyAt(res, 400).error_details.voice_base64?.join(" "), what).toMatch(pattern);
    }
    expect(await stored(s.access)).toEqual(before);
    expect(bodyAt(await verify(s.access, b64(samples.genuine)), 200).is_match).toBe(true);
  });

  it("enrols from signatures sent one per request (collected into one enrolment), like a face", async () => {
    const s = await newSession("STUDENT");
    const first = await register(s.access, b64(samples.enrol[0]!));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ message: "Handwriting signature received", resource_name: "Handwriting", resource_bool: false, resource_dict: { samples: 1, needed: 2 } });
    expect(bodyAt(first, 201).extra_details).toMatch(/1 of at least 3 signatures received: register 2 more within 10 minutes/);
    expect((await verify(s.access, b64(samples.genuine))).status).toBe(404);
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_array).toEqual([]);
    // Collected signatures are sealed like templates.
    const [row] = await session(s.access);
    expect(row).toMatchObject({ model_id: "trustid-handwriting-dtw-v3" });

    const second = await register(s.access, b64(JSON.stringify(asPoints(samples.enrol[1]!))));
    expect(second.body).toMatchObject({ resource_bool: false, resource_dict: { samples: 2, needed: 1 } });
    const third = await register(s.access, b64(samples.enrol[2]!));
    expect(third.body).toMatchObject({ message: "Handwriting model registered", resource_bool: true, resource_dict: { samples: 3, version: 1 } });
    // Two more in one request (the field repeated) join the same enrolment.
    const more = await registerMany(s.access, [b64(samples.enrol[3]!), b64(samples.enrol[4]!)]);
    expect(more.body).toMatchObject({ resource_bool: true, resource_dict: { samples: 5, version: 2 } });

    // The model is the one a single request with the same 5 signatures builds.
    const whole = await newSession("STUDENT");
    expect(bodyAt(await registerMany(whole.access, samples.enrol.map(b64)), 201).resource_dict).toEqual({ samples: 5, version: 1 });
    const byOne = await verify(s.access, b64(samples.genuine));
    const byAll = await verify(whole.access, b64(samples.genuine));
    expect(bodyAt(byOne, 200).is_match).toBe(true);
    expect(bodyAt(byOne, 200).resource_dict).toEqual(bodyAt(byAll, 200).resource_dict);
    expect(bodyAt(await verify(s.access, b64(samples.forgery)), 200).is_match).toBe(false);

    // A refused signature changes nothing: neither the model nor the collected signatures.
    const before = await stored(s.access);
    const collected = await session(s.access);
    const noPressure = await register(s.access, b64(JSON.stringify(asPoints(samples.genuine).map(({ t, x, y }) => ({ t, x, y })))));
    expect(noPressure.status).toBe(400);
    expect(bodyAt(noPressure, 400).error_details.voice_base64?.join(" ")).toMatch(/have pen pressure and this one has none/);
    expect((await register(s.access, b64("0 1 1 1"))).status).toBe(400);
    expect(await stored(s.access)).toEqual(before);
    expect(await session(s.access)).toEqual(collected);

    // 3-10 in one request start a new enrolment; later single signatures extend that one.
    const replaced = await register(s.access, b64(JSON.stringify(samples.enrol.slice(2, 5))));
    expect(bodyAt(replaced, 201).resource_dict).toEqual({ samples: 3, version: 3 });
    expect(bodyAt(await register(s.access, b64(samples.enrol[0]!)), 201).resource_dict).toEqual({ samples: 4, version: 4 });

    // After 10 minutes without a new signature the enrolment is over: the next signature starts a new one and
    // the model stays as it is until that one has 3; the alarm deletes the stale collection.
    await runInDurableObject(templatesOf(s.access), async (_o, state) => {
      state.storage.sql.exec("UPDATE enrolment_sessions SET updated_at = updated_at - 11 * 60000");
    });
    expect(await runDurableObjectAlarm(templatesOf(s.access))).toBe(true);
    expect(await session(s.access)).toEqual([]);
    const fresh = await register(s.access, b64(samples.enrol[1]!));
    expect(fresh.body).toMatchObject({ resource_bool: false, resource_dict: { samples: 1, needed: 2 } });
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_dict).toEqual({ Handwriting: "active" });
    expect(bodyAt(await verify(s.access, b64(samples.genuine)), 200).is_match).toBe(true);

    // Unregistering deletes the collected signatures with the model.
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Handwriting" } })).status).toBe(200);
    expect(await session(s.access)).toEqual([]);
    expect(bodyAt(await register(s.access, b64(samples.enrol[2]!)), 201).resource_dict).toEqual({ samples: 1, needed: 2 });
    // Signatures being collected, with no model: the access request lists them, and unregister deletes them with a
    // 200 (a probe was told "No Handwriting model is registered" while they were deleted).
    const mine = bodyAt(await api(myDataRoute, { token: s.access }), 200).resource_dict;
    expect(mine.biometric_templates).toEqual([]);
    expect(mine.enrolment_sessions).toEqual([{ biometric_type: "Handwriting", last_added_at: expect.any(String), expires_at: expect.any(String) }]);
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Handwriting" } })).status).toBe(200);
    expect(bodyAt(await api(myDataRoute, { token: s.access }), 200).resource_dict.enrolment_sessions).toEqual([]);
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Handwriting" } })).status).toBe(404);
  });

  it("a signature sent again is not collected twice, and one request holding a copy is refused (a probe's copy made its writer refused far more often)", async () => {
    const s = await newSession("STUDENT");
    expect(bodyAt(await register(s.access, b64(samples.enrol[0]!)), 201).resource_dict).toEqual({ samples: 1, needed: 2 });
    // A client resending after a lost answer: answered as things stand.
    expect(bodyAt(await register(s.access, b64(samples.enrol[0]!)), 201).resource_dict).toEqual({ samples: 1, needed: 2 });
    expect(bodyAt(await register(s.access, b64(samples.enrol[1]!)), 201).resource_dict).toEqual({ samples: 2, needed: 1 });
    expect(bodyAt(await register(s.access, b64(samples.enrol[2]!)), 201).resource_dict).toEqual({ samples: 3, version: 1 });
    expect(bodyAt(await register(s.access, b64(samples.enrol[2]!)), 201).resource_dict).toEqual({ samples: 3, version: 1 });
    const copy = await registerMany(s.access, [samples.enrol[0]!, samples.enrol[1]!, samples.enrol[2]!, samples.enrol[0]!].map(b64));
    expect(copy.status).toBe(400);
    expect(bodyAt(copy, 400).error_details.voice_base64?.join(" ")).toMatch(/signatures 1 and 4 are identical copies/);
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_dict).toEqual({ Handwriting: "active" });
  });

  it("signatures sent one per request at the same time are all collected (no lost update)", async () => {
    const s = await newSession("STUDENT");
    const answers = await Promise.all(samples.enrol.map((sig) => register(s.access, b64(sig))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    // Whatever the order, the answers counted 1..5 signatures and the model holds all 5.
    expect(answers.map((a) => bodyAt(a, 201).resource_dict?.samples).sort()).toEqual([1, 2, 3, 4, 5]);
    const list = await api(listRoute, { token: s.access });
    expect(bodyAt(list, 200).resource_dict).toEqual({ Handwriting: "active" });
    const rows = await runInDurableObject(templatesOf(s.access), async (_o, state) =>
      state.storage.sql.exec("SELECT images, version FROM templates WHERE biometric_type = 'Handwriting'").toArray(),
    );
    expect(rows).toEqual([{ images: 5, version: 3 }]);
  });

  it("student only, form media types only, body limit", async () => {
    expect((await register("", b64("[]"))).status).toBe(401);
    const instructor = await newSession("INSTRUCTOR");
    expect((await register(instructor.access, b64(JSON.stringify(samples.enrol)))).status).toBe(403);
    const s = await newSession("STUDENT");
    const json = await api(registerRoute, { token: s.access, unchecked: { biometric_type: "Handwriting", voice_base64: b64("[]") } });
    expect(json.status).toBe(415);
    const big = await api(verifyRoute, {
      token: s.access,
      raw: { body: `biometric_type=Handwriting&voice_base64=${"A".repeat(23 * 1024 * 1024)}`, contentType: "application/x-www-form-urlencoded" }, // LIMITS.form
    });
    expect(big.status).toBe(413);
    const tooBigSample = await verify(s.access, "A".repeat(6 * 1024 * 1024));
    expect(tooBigSample.status).toBe(400);
    expect(bodyAt(tooBigSample, 400).error_details.voice_base64?.[0]).toMatch(/^sample_too_large/);
    expect(await stored(s.access)).toEqual([]);
  });

  it.each(["trustid-handwriting-dtw-v1", "trustid-handwriting-dtw-v2"])("a model built by a previous engine (%s) asks for re-enrolment until registered again", async (oldId) => {
    const s = await newSession("STUDENT");
    expect((await register(s.access, b64(JSON.stringify(samples.enrol)))).status).toBe(201);
    // What a student enrolled before the engine change has: a row under the old model id.
    await runInDurableObject(templatesOf(s.access), async (_o, state) => {
      state.storage.sql.exec("UPDATE templates SET model_id = ? WHERE biometric_type = 'Handwriting'", oldId);
    });
    const stale = await verify(s.access, b64(samples.genuine));
    expect(stale.status).toBe(400);
    expect(expect400Shape(bodyAt(stale, 400)).bad_formatted_fields).toEqual(["biometric_type"]);
    expect(bodyAt(stale, 400).error_details.biometric_type?.[0]).toMatch(/^reenrolment_required: the Handwriting model can no longer be used \(built by an older engine/);
    const list = await api(listRoute, { token: s.access });
    expect(list.body).toMatchObject({ resource_array: ["Handwriting"], resource_dict: { Handwriting: "reenrolment_required" } });

    const again = await register(s.access, b64(JSON.stringify(samples.enrol)));
    expect(again.status).toBe(201);
    expect(bodyAt(again, 201).resource_dict).toEqual({ samples: 5, version: 2 });
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_dict).toEqual({ Handwriting: "active" });
    expect(bodyAt(await verify(s.access, b64(samples.genuine)), 200).is_match).toBe(true);
  });
});
