// One student, many simultaneous enrolments and verifications across modalities (Handwriting, keystroke
// Interaction, Voice and a little Face with the real models), with unregistrations racing the enrolments.
// Afterwards the student's Durable Object is consistent: the versions handed out are 1..n without a gap or
// a repeat, the stored row of each type is the one the highest version's request wrote (whole, never a mix
// of two requests), list agrees with storage, and every held template opens and verifies its own genuine
// sample. All answers are 2xx, or a 404 where a verification or unregistration met no template.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as testRoute } from "../../../src/routes/biometrics/interaction-test";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { api, bodyAt, type ApiResponse } from "../api";
import { newSession } from "../helpers";
import { templatesOf } from "../biometrics/fixtures";

const signals = inject("signalSamples");
const img = inject("faceImages");

const trainRows = signals.keystroke.train.split("\n");

/** What any of the operations below answers. */
type Answer =
  | ApiResponse<typeof registerRoute>
  | ApiResponse<typeof verifyRoute>
  | ApiResponse<typeof unregisterRoute>
  | ApiResponse<typeof trainRoute>
  | ApiResponse<typeof testRoute>
  | ApiResponse<typeof faceRegisterRoute>;
type Op = { type: "Handwriting" | "Interaction" | "Voice" | "Face"; kind: "enrol" | "verify" | "unregister"; samples?: number; run: (token: string) => Promise<Answer> };
/** The template version an enrolment's answer carries (Face answers carry none). */
const versionOf = (res: Answer) =>
  (res.status === 200 || res.status === 201) && "resource_dict" in res.body && res.body.resource_dict && "version" in res.body.resource_dict ? res.body.resource_dict.version : undefined;

const ops: Op[] = [
  // Handwriting: enrolments of 3, 4 and 5 signatures (the stored sample count tells which one won).
  ...[3, 4, 5].map((n): Op => ({
    type: "Handwriting",
    kind: "enrol",
    samples: n,
    run: (t) => api(registerRoute, { token: t, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(JSON.stringify(signals.handwriting.enrol.slice(0, n))) } }),
  })),
  ...[0, 1].map((): Op => ({ type: "Handwriting", kind: "verify", run: (t) => api(verifyRoute, { token: t, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(signals.handwriting.genuine) } }) })),
  { type: "Handwriting", kind: "unregister", run: (t) => api(unregisterRoute, { token: t, json: { biometric_type: "Handwriting" } }) },
  // Keystroke: trainings on 20, 22 and 25 typings.
  ...[20, 22, 25].map((n): Op => ({
    type: "Interaction",
    kind: "enrol",
    samples: n,
    run: (t) => api(trainRoute, { token: t, json: { training_dataset: trainRows.slice(0, n).join("\n") } }),
  })),
  ...[0, 1].map((): Op => ({ type: "Interaction", kind: "verify", run: (t) => api(testRoute, { token: t, json: { testing_dataset: signals.keystroke.genuine } }) })),
  { type: "Interaction", kind: "unregister", run: (t) => api(unregisterRoute, { token: t, json: { biometric_type: "Interaction" } }) },
  // Voice: enrolments from 2 and 3 clips.
  ...[2, 3].map((n): Op => ({ type: "Voice", kind: "enrol", samples: n, run: (t) => api(registerRoute, { token: t, form: { biometric_type: "Voice", voice_base64: signals.voice.enrol.slice(0, n) } }) })),
  { type: "Voice", kind: "verify", run: (t) => api(verifyRoute, { token: t, form: { biometric_type: "Voice", voice_base64: signals.voice.same } }) },
  // Face (real ONNX models: few): one enrolment, one verification.
  { type: "Face", kind: "enrol", samples: 1, run: (t) => api(faceRegisterRoute, { token: t, json: { image: img.obama! } }) },
  { type: "Face", kind: "verify", run: (t) => api(verifyRoute, { token: t, urlencoded: { biometric_type: "Face", voice_base64: img.obama3! } }) },
];

type Row = { biometric_type: string; version: number; images: number };

describe("one student, concurrent enrolments, verifications and unregistrations", () => {
  it("leaves whole templates with consistent versions that verify", { timeout: 60_000 }, async () => {
    if (!img.obama || !img.obama3) throw new Error("face pictures missing from ../shared/data");
    const s = await newSession("STUDENT");
    // Enrol every type once first, so that verifications and unregistrations have something to race with.
    for (const op of ops.filter((o) => o.kind === "enrol" && o.samples === Math.min(...ops.filter((p) => p.type === o.type && p.kind === "enrol").map((p) => p.samples!)))) {
      const res = await op.run(s.access);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }

    const answers = await Promise.all(ops.map(async (op) => ({ op, res: await op.run(s.access) })));
    for (const { op, res } of answers) {
      const ok = res.status === 200 || res.status === 201 || (op.kind !== "enrol" && res.status === 404);
      expect(ok, `${op.type} ${op.kind}: ${res.status} ${JSON.stringify(res.body)}`).toBe(true);
      if (res.status === 404) expect(res.body).toMatchObject({ resource_name: "biometric", resource_str: op.type });
      if (op.kind === "verify" && res.status === 200) expect(res.body, `${op.type} genuine sample`).toMatchObject({ is_match: true });
    }

    const { rows, counters } = await runInDurableObject(templatesOf(s.access), async (_o, state) => ({
      rows: state.storage.sql.exec<Row>("SELECT biometric_type, version, images FROM templates").toArray(),
      counters: state.storage.sql.exec<{ biometric_type: string; version: number }>("SELECT biometric_type, version FROM template_versions").toArray(),
    }));
    const list = await api(listRoute, { token: s.access });
    expect(list.status).toBe(200);
    expect([...bodyAt(list, 200).resource_array].sort()).toEqual(rows.map((r) => r.biometric_type).sort());

    for (const type of ["Handwriting", "Interaction", "Voice", "Face"] as const) {
      const enrolments = answers.filter((a) => a.op.type === type && a.op.kind === "enrol");
      expect(enrolments.every((a) => a.res.status < 300)).toBe(true);
      const issued = 1 + enrolments.length; // the first enrolment above, then the concurrent ones
      expect(counters.find((c) => c.biometric_type === type)?.version, `${type} version counter`).toBe(issued);
      const row = rows.find((r) => r.biometric_type === type);
      // Versions handed to the concurrent requests: exactly 2..issued, each once (Face answers carry none).
      const versions = enrolments.map((a) => versionOf(a.res)).filter((v) => v !== undefined);
      if (type !== "Face") expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: issued - 1 }, (_, i) => i + 2));
      if (!row) {
        // Only an unregistration that ran after the last enrolment can leave nothing.
        expect(answers.some((a) => a.op.type === type && a.op.kind === "unregister" && a.res.status === 200), `${type} vanished`).toBe(true);
        continue;
      }
      // A held template is the last one written, whole: the highest version with that request's sample count.
      expect(row.version).toBe(issued);
      const winner = enrolments.find((a) => versionOf(a.res) === issued);
      if (winner) expect(row.images).toBe(winner.op.samples);
    }

    // Every template held opens (it is decrypted inside the object) and accepts its own genuine sample.
    for (const op of ops.filter((o) => o.kind === "verify")) {
      const res = await op.run(s.access);
      if (!rows.some((r) => r.biometric_type === op.type)) {
        expect(res.status).toBe(404);
        continue;
      }
      expect(res.status, `${op.type}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body, op.type).toMatchObject({ is_match: true });
    }
  });
});
