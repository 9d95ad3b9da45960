// StudentTemplates' JSON models (Handwriting, Interaction) without the HTTP layer: sealed with the type and
// model id bound, version bumped on every enrolment, concurrent enrolments serialised, list and revoke.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { enrollHandwriting, parseTrajectory } from "../../../src/biometrics/handwriting";
import { parseKeystrokeDataset, trainKeystrokeModel } from "../../../src/biometrics/keystroke";
import { HANDWRITING_MODEL_ID, KEYSTROKE_MODEL_ID } from "../../../src/biometrics/signal-models";
import type { ModelEnrolResult } from "../../../src/templates/types";
import { newSession } from "../helpers";
import { ownerOf, templatesOf } from "./fixtures";

const { handwriting, keystroke } = inject("signalSamples");

/** The message an RPC call fails with (awaited in one place: RPC promises reject once). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("StudentTemplates: JSON models", () => {
  it("concurrent enrolments serialise: versions 1..n, the last one whole", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const owner = ownerOf(s.access);
    const refs = handwriting.enrol.map((t) => parseTrajectory(t));
    const models = [0, 1, 2, 3].map((k) => enrollHandwriting([...refs.slice(k, k + 3), ...refs.slice(0, k)].slice(0, 3 + (k % 2))));
    const results: ModelEnrolResult[] = await Promise.all(models.map((m, i) => stub.enrolModel(owner, "Handwriting", HANDWRITING_MODEL_ID, m, 3 + (i % 2), 1000 + i)));
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3, 4]);
    const last = results.find((r) => r.version === 4)!;
    const list = await stub.list(owner, { Handwriting: HANDWRITING_MODEL_ID });
    expect(list).toEqual([{ biometricType: "Handwriting", modelId: HANDWRITING_MODEL_ID, samples: last.samples, createdAt: last.createdAt, current: true }]);
    expect(await stub.verifyHandwriting(owner, parseTrajectory(handwriting.genuine), HANDWRITING_MODEL_ID, "f", "standard")).toMatchObject({ status: "match" });
  });

  it("refuses what is not a model; a row relabelled as another type or model does not open", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const owner = ownerOf(s.access);
    expect(await failure(stub.enrolModel(owner, "Interaction", KEYSTROKE_MODEL_ID, { kind: "keystroke" }, 1, 1))).toMatch(/not a Interaction model/);
    const model = trainKeystrokeModel(parseKeystrokeDataset(keystroke.train));
    await stub.enrolModel(owner, "Interaction", KEYSTROKE_MODEL_ID, model, 25, 1);
    const probe = parseKeystrokeDataset(keystroke.genuine);
    expect(await stub.testInteraction(owner, probe, KEYSTROKE_MODEL_ID, "f", "standard")).toMatchObject({ status: "match" });
    // An engine change asks for re-training instead of comparing with another yardstick.
    expect(await stub.testInteraction(owner, probe, "trustid-keystroke-next", "f", "standard")).toEqual({ status: "reenrolment_required", enrolledModelId: KEYSTROKE_MODEL_ID });
    // The same ciphertext under another model id does not open (the id is bound as associated data): it is never
    // compared, and the student is asked to register again, as for any template the server cannot read.
    await runInDurableObject(stub, async (_o, state) => {
      state.storage.sql.exec("UPDATE templates SET model_id = 'trustid-keystroke-next' WHERE biometric_type = 'Interaction'");
    });
    expect(await stub.testInteraction(owner, probe, "trustid-keystroke-next", "f", "standard")).toEqual({ status: "reenrolment_required", enrolledModelId: "trustid-keystroke-next" });
    expect(await stub.revoke(owner, "Interaction")).toBe(true);
    expect(await stub.testInteraction(owner, probe, KEYSTROKE_MODEL_ID, "f", "standard")).toEqual({ status: "not_enrolled" });
  });
});
