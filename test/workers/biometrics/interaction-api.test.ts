// Keystroke interaction through /biometrics/interaction/train and /test with real MEU-Mobile typings
// (test/signals-setup.ts reads them in Node): the student's own typings accepted, another subject's refused,
// every kind of bad dataset a 400 that leaves the trained model as it was.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as testRoute } from "../../../src/routes/biometrics/interaction-test";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { KEYSTROKE_OPERATING_POINTS, KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY } from "../../../src/biometrics/keystroke/operating-points";
import { api, bodyAt, type RequestJson } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { templatesOf } from "./fixtures";

const data = inject("signalSamples").keystroke;
type Dataset = RequestJson<typeof trainRoute>["training_dataset"];
const train = (token: string, training_dataset: Dataset) => api(trainRoute, { token, json: { training_dataset } });
const test = (token: string, testing_dataset: Dataset) => api(testRoute, { token, json: { testing_dataset } });

async function stored(token: string) {
  return runInDurableObject(templatesOf(token), async (_o, state) =>
    state.storage.sql.exec("SELECT biometric_type, version, hex(ciphertext) AS c FROM templates ORDER BY biometric_type").toArray(),
  );
}

/** CSV rows as the JSON flat arrays of docs/keystroke.md. */
const asJson = (csv: string) => csv.split("\n").map((row) => row.split(",").map(Number));

describe("interaction train / test", () => {
  it("trains on 25 typings, accepts the student's later typings, refuses another subject's", async () => {
    const s = await newSession("STUDENT");
    const before = await test(s.access, data.genuine);
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({ resource_name: "biometric", resource_str: "Interaction" });

    const tr = await train(s.access, data.train);
    expect(tr.status, JSON.stringify(tr.body)).toBe(200);
    expect(tr.body).toMatchObject({ resource_name: "Interaction", resource_bool: true, resource_dict: { samples: 25, keys: 14, version: 1 } });

    const genuine = await test(s.access, data.genuine);
    expect(genuine.status).toBe(200);
    expect(genuine.body).toMatchObject({ resource_name: "Interaction", is_match: true, resource_bool: true, resource_dict: { is_match: true, samples: 5 } });
    expect(bodyAt(genuine, 200).resource_dict.score).toBeGreaterThan(0.5);
    expect(bodyAt(genuine, 200).resource_dict.sample_scores).toHaveLength(5);
    expect(bodyAt(genuine, 200).resource_dict.distance).toBeLessThanOrEqual(bodyAt(genuine, 200).resource_dict.threshold);

    const impostor = await test(s.access, data.impostor);
    expect(impostor.status).toBe(200);
    expect(impostor.body).toMatchObject({ is_match: false, resource_bool: false, resource_dict: { is_match: false } });
    expect(bodyAt(impostor, 200).resource_dict.score).toBeLessThan(0.5);

    // JSON datasets (parsed values) work too; training again bumps the version.
    const again = await train(s.access, asJson(data.train));
    expect(bodyAt(again, 200).resource_dict).toMatchObject({ samples: 25, version: 2 });
    expect(bodyAt(await test(s.access, asJson(data.genuine).slice(0, 1)), 200).resource_dict.samples).toBe(1);

    const list = await api(listRoute, { token: s.access });
    expect(list.body).toMatchObject({ resource_array: ["Interaction"], resource_dict: { Interaction: "active" } });
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Interaction" } })).status).toBe(200);
    expect(bodyAt(await api(listRoute, { token: s.access }), 200).resource_array).toEqual([]);
    expect((await test(s.access, data.genuine)).status).toBe(404);
  });

  it("a desktop keyboard's typings (timings only) are decided at the timings-only thresholds", async () => {
    // MEU-Mobile rows without their pressure and area: 14 holds, 13 down-down, 13 up-down (docs/keystroke.md objects).
    const timings = (csv: string) =>
      asJson(csv).map((r) => ({ hold: r.slice(0, 14), down_down: r.slice(14, 27), up_down: r.slice(27, 40) }));
    const s = await newSession("STUDENT");
    expect(bodyAt(await train(s.access, timings(data.train)), 200).resource_dict).toMatchObject({ samples: 25, keys: 14 });
    const genuine = bodyAt(await test(s.access, timings(data.genuine)), 200).resource_dict;
    expect(genuine).toMatchObject({ is_match: true, threshold: KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY.high.threshold });
    const impostor = bodyAt(await test(s.access, timings(data.impostor)), 200).resource_dict;
    expect(impostor).toMatchObject({ is_match: false, threshold: KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY.high.threshold });
    expect(KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY.high.threshold).not.toBe(KEYSTROKE_OPERATING_POINTS.high.threshold);

    // Trained on a tablet (with pressure and area), then typed where the page reports no touch data, or one constant
    // pressure (no measurement, parse.ts): decided on the model's timings at the timings-only point, not a 400.
    const tablet = await newSession("STUDENT");
    expect((await train(tablet.access, data.train)).status).toBe(200);
    const constant = timings(data.genuine).map((r) => ({ ...r, pressure: r.hold.map(() => 0.5) }));
    for (const typings of [timings(data.genuine), constant]) {
      const decided = bodyAt(await test(tablet.access, typings), 200).resource_dict;
      expect(decided).toMatchObject({ is_match: true, threshold: KEYSTROKE_OPERATING_POINTS_TIMINGS_ONLY.high.threshold });
    }
    expect(bodyAt(await test(tablet.access, timings(data.impostor)), 200).resource_dict.is_match).toBe(false);
  });

  it("bad datasets are 400s naming the field, and change no model", async () => {
    const s = await newSession("STUDENT");
    expect((await train(s.access, data.train)).status).toBe(200);
    const before = await stored(s.access);
    const rows = data.train.split("\n");
    const cells = (i: number) => rows[i]!.split(",");
    const withCell = (i: number, j: number, v: string) => rows.map((r, k) => (k === i ? cells(i).map((c, n) => (n === j ? v : c)).join(",") : r)).join("\n");
    const badTraining: [string, Dataset, RegExp][] = [
      ["a row with a field missing", [...rows.slice(0, 24), cells(24).slice(0, -1).join(",")].join("\n"), /row 25 has 70 fields/],
      ["a row with an extra field", [...rows.slice(0, 24), `${rows[24]},1`].join("\n"), /row 25 has 72 fields/],
      ["NaN", withCell(3, 2, "NaN"), /not a finite number/],
      ["a negative hold", withCell(4, 0, "-80"), /negative/],
      ["a negative down-down", withCell(4, 15, "-5"), /negative/],
      ["empty", "", /empty/],
      ["too few typings", rows.slice(0, 9).join("\n"), /at least 10/],
      ["JSON that does not parse", "[[1,2", /does not parse/],
      ["JSON sample with wrong lengths", [{ hold: [1, 2, 3], down_down: [1], up_down: [1, 2] }], /./],
    ];
    for (const [what, dataset, pattern] of badTraining) {
      const res = await train(s.access, dataset);
      expect(res.status, what).toBe(400);
      expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields, what).toEqual(["training_dataset"]);
      expect(bodyAt(res, 400).error_details.training_dataset?.join(" "), what).toMatch(pattern);
    }
    const missing = await api(trainRoute, { token: s.access, unchecked: {} });
    expect(missing.status).toBe(400);
    expect(bodyAt(missing, 400).missing_required_fields).toEqual(["training_dataset"]);
    const wrongType = await api(trainRoute, { token: s.access, unchecked: { training_dataset: 42 } });
    expect(wrongType.status).toBe(400);
    // A value of no type the field takes is told what it takes (a probe got zod's bare "Invalid input"). (probe Y)
    const takes = /CSV or JSON text, or as a JSON array of samples/;
    for (const value of [12345, true, null]) {
      for (const [route, field] of [[trainRoute, "training_dataset"], [testRoute, "testing_dataset"]] as const) {
        const res = await api(route, { token: s.access, unchecked: { [field]: value } });
        expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields, `${field} ${value}`).toEqual([field]);
        expect(bodyAt(res, 400).error_details[field], `${field} ${value}`).toEqual([expect.stringMatching(takes)]);
      }
    }

    const badTests: [string, Dataset, RegExp][] = [
      ["a row with a field missing", data.genuine.split("\n").map((r, i) => (i === 2 ? r.split(",").slice(0, -1).join(",") : r)).join("\n"), /row 3 has 70 fields/],
      ["a count that fits no layout", cells(0).slice(0, -2).join(","), /69/],
      ["NaN timing", withCell(0, 1, "NaN").split("\n")[0]!, /not a finite number/],
      ["negative timing", withCell(0, 1, "-3").split("\n")[0]!, /negative/],
      ["another keyboard layout", [{ hold: [90, 80, 100], down_down: [200, 190], up_down: [110, 110] }], /3 keys.*14 keys/],
      ["empty", "  ", /empty/],
    ];
    for (const [what, dataset, pattern] of badTests) {
      const res = await test(s.access, dataset);
      expect(res.status, what).toBe(400);
      expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields, what).toEqual(["testing_dataset"]);
      expect(bodyAt(res, 400).error_details.testing_dataset?.join(" "), what).toMatch(pattern);
    }
    expect(await stored(s.access)).toEqual(before);
    expect(bodyAt(await test(s.access, data.genuine), 200).is_match).toBe(true);
  });

  // Found by the fuzz tests: the message quoted the whole bad value, so a 2 MB nested array came back as a
  // 2 MB error body. Now the value is named by kind (or cut), and the answer stays small.
  it("a huge or deeply nested bad value gives a short 400, not an echo of the input", async () => {
    const s = await newSession("STUDENT");
    const deep = "[".repeat(500_000) + "]".repeat(500_000);
    const res = await api(testRoute, { token: s.access, raw: { body: `{"testing_dataset":[${deep}]}`, contentType: "application/json" } });
    expect(res.status).toBe(400);
    expect(expect400Shape(bodyAt(res, 400)).bad_formatted_fields).toEqual(["testing_dataset"]);
    expect(bodyAt(res, 400).error_details.testing_dataset?.[0]).toMatch(/sample 1, value 1: an array of 1 is not a finite number/);
    expect(JSON.stringify(res.body).length).toBeLessThan(1000);
    const long = await train(s.access, [["x".repeat(100_000)]]);
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body).length).toBeLessThan(1000);
  });

  it("student only, JSON only, body limit", async () => {
    expect((await train("", data.train)).status).toBe(401);
    const instructor = await newSession("INSTRUCTOR");
    expect((await train(instructor.access, data.train)).status).toBe(403);
    expect((await test(instructor.access, data.genuine)).status).toBe(403);
    const s = await newSession("STUDENT");
    const formBody = await api(trainRoute, {
      token: s.access,
      raw: { body: new URLSearchParams({ training_dataset: data.train }), contentType: "application/x-www-form-urlencoded" },
    });
    expect(formBody.status).toBe(415);
    const big = await train(s.access, "1,".repeat(1_600_000));
    expect(big.status).toBe(413);
    expect(await stored(s.access)).toEqual([]);
  });
});
