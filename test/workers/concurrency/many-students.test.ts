// Many students enrolling and verifying at once: 30 students each enrol Handwriting and keystroke
// Interaction, all requests in flight together, then all verify at once. Each student ends with exactly
// their own two templates at version 1, and each accepts that student's genuine samples.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as testRoute } from "../../../src/routes/biometrics/interaction-test";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { api } from "../api";
import { newSession } from "../helpers";
import { templatesOf } from "../biometrics/fixtures";

const signals = inject("signalSamples");
const STUDENTS = 30;

const enrolHandwriting = (token: string) =>
  api(registerRoute, { token, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(JSON.stringify(signals.handwriting.enrol)) } });
const verifyHandwriting = (token: string) => api(verifyRoute, { token, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(signals.handwriting.genuine) } });
const train = (token: string) => api(trainRoute, { token, json: { training_dataset: signals.keystroke.train } });
const test = (token: string) => api(testRoute, { token, json: { testing_dataset: signals.keystroke.genuine } });

describe("many students enrolling and verifying at once", () => {
  it("gives every student their own whole templates", { timeout: 60_000 }, async () => {
    const students = await Promise.all(Array.from({ length: STUDENTS }, () => newSession("STUDENT")));

    const enrolled = await Promise.all(students.flatMap((s) => [enrolHandwriting(s.access), train(s.access)]));
    for (const res of enrolled) {
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      expect(res.body).toMatchObject({ resource_dict: { version: 1 } });
    }

    const verified = await Promise.all(students.flatMap((s) => [verifyHandwriting(s.access), test(s.access)]));
    for (const res of verified) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ is_match: true });
    }

    for (const s of students) {
      const rows = await runInDurableObject(templatesOf(s.access), async (_o, state) =>
        state.storage.sql.exec("SELECT biometric_type, version FROM templates ORDER BY biometric_type").toArray(),
      );
      expect(rows).toEqual([
        { biometric_type: "Handwriting", version: 1 },
        { biometric_type: "Interaction", version: 1 },
      ]);
    }
  });
});
