// The template key changes (README "Rotating the template key"): a template sealed under a key the server no longer
// has is answered as "register again", never as a server error; with the previous key kept as
// TEMPLATE_ENCRYPTION_KEY_PREVIOUS it still opens and is sealed again under the new key as it is read.
// Found by a black-box probe: after a key change every biometric endpoint answered 500 and monitoring stored nothing.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { parseKeystrokeDataset, trainKeystrokeModel } from "../../../src/biometrics/keystroke";
import { KEYSTROKE_MODEL_ID } from "../../../src/biometrics/signal-models";
import type { Bindings } from "../../../src/env";
import { templateOpens } from "../../../src/templates/open-template";
import { testInteraction } from "../../../src/templates/signal";
import { TemplateStore } from "../../../src/templates/store";
import { verifyFace } from "../../../src/templates/vector";
import { exportTemplate, restoreTemplates } from "../../../src/templates/wallet";
import { newSession } from "../helpers";
import { near, ownerOf, templatesOf, unitVector } from "./fixtures";

const keystroke = inject("signalSamples").keystroke;
const NEW_KEY = "a new template key of at least 32 characters";

describe("template key rotation", () => {
  it("a template under an unknown key asks for re-enrolment; with the previous key kept it opens and moves to the new key", async () => {
    const s = await newSession("STUDENT");
    const owner = ownerOf(s.access);
    const stub = templatesOf(s.access);
    const face = unitVector(11);
    expect((await stub.enrolFace(owner, [face], FACE_MODEL_ID, 1000)).ok).toBe(true);
    const model = trainKeystrokeModel(parseKeystrokeDataset(keystroke.train));
    expect((await stub.enrolModel(owner, "Interaction", KEYSTROKE_MODEL_ID, model, 20, 1000)).ok).toBe(true);
    const samples = parseKeystrokeDataset(keystroke.genuine);
    const oldKey = (env as unknown as Bindings).TEMPLATE_ENCRYPTION_KEY!;

    await runInDurableObject(stub, async (_o, state) => {
      const withKeys = (keys: Partial<Bindings>) => new TemplateStore(state.storage, { ...(env as unknown as Bindings), ...keys });
      // The key replaced, the previous one not kept: nothing opens, and every path says "register again".
      const lost = withKeys({ TEMPLATE_ENCRYPTION_KEY: NEW_KEY, TEMPLATE_ENCRYPTION_KEY_PREVIOUS: undefined });
      expect(await verifyFace(lost, owner, near(face, 0.2, 1), FACE_MODEL_ID, "high")).toEqual({ status: "reenrolment_required", enrolledModelId: FACE_MODEL_ID });
      expect(await testInteraction(lost, owner, samples, KEYSTROKE_MODEL_ID, "testing_dataset", "high")).toMatchObject({ status: "reenrolment_required" });
      expect(await exportTemplate(lost, owner, "Face", FACE_MODEL_ID, "e1", 2000, 60_000)).toEqual({ ok: false, reason: "reenrolment_required" });
      expect(await templateOpens(lost, owner, lost.template("Face")!)).toBe(false);

      // The previous key kept: it opens, and is sealed again under the new key on the way.
      const rotating = withKeys({ TEMPLATE_ENCRYPTION_KEY: NEW_KEY, TEMPLATE_ENCRYPTION_KEY_PREVIOUS: oldKey });
      const before = rotating.template("Face")!;
      expect(await verifyFace(rotating, owner, near(face, 0.2, 1), FACE_MODEL_ID, "high")).toMatchObject({ status: "match" });
      expect(await testInteraction(rotating, owner, samples, KEYSTROKE_MODEL_ID, "testing_dataset", "high")).toMatchObject({ status: expect.stringMatching(/match/) });
      const after = rotating.template("Face")!;
      expect(after.version).toBe(before.version); // the same template, not a new enrolment
      expect(new Uint8Array(after.ciphertext)).not.toEqual(new Uint8Array(before.ciphertext));
      // Now the new key alone opens both, and the old key alone no longer does.
      expect(await verifyFace(lost, owner, near(face, 0.2, 1), FACE_MODEL_ID, "high")).toMatchObject({ status: "match" });
      expect(await testInteraction(lost, owner, samples, KEYSTROKE_MODEL_ID, "testing_dataset", "high")).toMatchObject({ status: expect.stringMatching(/match/) });
      const old = withKeys({ TEMPLATE_ENCRYPTION_KEY: oldKey, TEMPLATE_ENCRYPTION_KEY_PREVIOUS: undefined });
      expect(await templateOpens(old, owner, old.template("Face")!)).toBe(false);
    });
    // Seen through the object's RPC with the configured (old) key: the face moved to the new key, so it is listed as
    // needing re-enrolment, never as a 500 (the keystroke model too).
    const listed = await stub.list(owner, { Face: FACE_MODEL_ID, Interaction: KEYSTROKE_MODEL_ID });
    expect(listed.map((t) => [t.biometricType, t.current])).toEqual([
      ["Face", false],
      ["Interaction", false],
    ]);
    expect(await stub.verifyFace(owner, near(face, 0.2, 1), FACE_MODEL_ID, "high", { examId: 1, now: 1 })).toMatchObject({ status: "reenrolment_required" });
  });

  it("wallet copies sealed before the rotation open with the previous key kept (no WALLET_SEAL_KEY), not after it is removed", async () => {
    // A probe: after README's rotation every wallet copy was refused as "changed, or not sealed by this server".
    const s = await newSession("STUDENT");
    const owner = ownerOf(s.access);
    const stub = templatesOf(s.access);
    expect((await stub.enrolFace(owner, [unitVector(12)], FACE_MODEL_ID, 1000)).ok).toBe(true);
    const oldKey = (env as unknown as Bindings).TEMPLATE_ENCRYPTION_KEY!;
    await runInDurableObject(stub, async (_o, state) => {
      const withKeys = (keys: Partial<Bindings>) => new TemplateStore(state.storage, { ...(env as unknown as Bindings), WALLET_SEAL_KEY: undefined, ...keys });
      const before = withKeys({ TEMPLATE_ENCRYPTION_KEY: oldKey, TEMPLATE_ENCRYPTION_KEY_PREVIOUS: undefined });
      const exported = await exportTemplate(before, owner, "Face", FACE_MODEL_ID, "rot-1", 2000, 60_000);
      if (!exported.ok) throw new Error("export failed");
      const item = { field: "face_embeddings", biometricType: "Face" as const, sealed: exported.sealed };
      const rotating = withKeys({ TEMPLATE_ENCRYPTION_KEY: NEW_KEY, TEMPLATE_ENCRYPTION_KEY_PREVIOUS: oldKey });
      expect(await restoreTemplates(rotating, owner, [item], { Face: FACE_MODEL_ID }, 3000)).toMatchObject({ ok: true });
      const after = withKeys({ TEMPLATE_ENCRYPTION_KEY: NEW_KEY, TEMPLATE_ENCRYPTION_KEY_PREVIOUS: undefined });
      expect(await restoreTemplates(after, owner, [item], { Face: FACE_MODEL_ID }, 3000)).toMatchObject({ ok: false, reason: "unreadable" });
      // New exports are sealed under the new key.
      const fresh = await exportTemplate(rotating, owner, "Face", FACE_MODEL_ID, "rot-2", 4000, 60_000);
      if (!fresh.ok) throw new Error("export failed");
      expect(await restoreTemplates(after, owner, [{ ...item, sealed: fresh.sealed }], { Face: FACE_MODEL_ID }, 5000)).toMatchObject({ ok: true });
    });
  });
});
