// The wallet round trip for Voice (a sealed vector, like Face) and Handwriting (a sealed JSON writer model):
// enrol through the API with real samples (test/signals-setup.ts), export to the wallet, unregister on the
// server, send back, verify again. Plus tampering: another student's export, a changed byte, the wrong field.
import { env, runInDurableObject } from "cloudflare:test";
import type { Bindings } from "../../../src/env";
import { b64urlToBytes, bytesToB64url, openWalletTemplate, sealWalletTemplate } from "../../../src/templates/seal/wallet-export";
import { describe, expect, inject, it } from "vitest";
import { HANDWRITING_MODEL_ID } from "../../../src/biometrics/signal-models";
import { DEFAULT_VOICE_MODEL_ID } from "../../../src/biometrics/voice/model";
import { route as pushNotification } from "../../../src/routes/biometrics/push-notification";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { route as walletHandwriting } from "../../../src/routes/biometrics/wallet-handwriting";
import { route as walletSend } from "../../../src/routes/biometrics/wallet-send";
import { route as walletStatus } from "../../../src/routes/biometrics/wallet-status";
import { route as walletVoice } from "../../../src/routes/biometrics/wallet-voice";
import { api, bodyAt, type RequestJson } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { flipCiphertextByte, headerOf, ownerOf, pushToken, templatesOf } from "./fixtures";

const signals = inject("signalSamples");

// Voice clips as multipart (each clip its own voice_base64 field), handwriting urlencoded.
const voiceForm = (clips: string[]) => ({ form: { biometric_type: "Voice" as const, voice_base64: clips } });
const voiceClip = (clip: string) => ({ form: { biometric_type: "Voice" as const, voice_base64: clip } });
const handForm = (payload: string) => ({ urlencoded: { biometric_type: "Handwriting" as const, voice_base64: btoa(payload) } });

const MODALITIES = {
  Voice: {
    route: walletVoice,
    field: "voice_embeddings",
    modelId: DEFAULT_VOICE_MODEL_ID,
    register: (token: string) => api(registerRoute, { token, ...voiceForm(signals.voice.enrol) }),
    verifySame: (token: string) => api(verifyRoute, { token, ...voiceClip(signals.voice.same) }),
    verifyOther: (token: string) => api(verifyRoute, { token, ...voiceClip(signals.voice.other) }),
  },
  Handwriting: {
    route: walletHandwriting,
    field: "handwriting_embeddings",
    modelId: HANDWRITING_MODEL_ID,
    register: (token: string) => api(registerRoute, { token, ...handForm(JSON.stringify(signals.handwriting.enrol)) }),
    verifySame: (token: string) => api(verifyRoute, { token, ...handForm(signals.handwriting.genuine) }),
    verifyOther: (token: string) => api(verifyRoute, { token, ...handForm(signals.handwriting.otherWriter) }),
  },
} as const;
type Modality = keyof typeof MODALITIES;

async function exported(token: string, m: Modality): Promise<string> {
  const exp = await api(MODALITIES[m].route, { token, json: { expoPushToken: pushToken("ok") } });
  expect(exp.status, JSON.stringify(exp.body)).toBe(200);
  expect(bodyAt(exp, 200).resource_dict).toMatchObject({ biometric_type: m, model_id: MODALITIES[m].modelId, template_version: 1 });
  const inbox = await api(pushNotification, { token, query: { export_id: bodyAt(exp, 200).resource_dict.export_id } });
  expect(inbox.status).toBe(200);
  return bodyAt(inbox, 200).resource_dict.exports[0]!.sealed;
}

/** Everything the student's object holds: rows (ciphertext included) and versions. */
async function state(token: string) {
  const rows = await runInDurableObject(templatesOf(token), async (_o, st) =>
    st.storage.sql.exec("SELECT biometric_type, model_id, version, hex(ciphertext) AS c FROM templates ORDER BY biometric_type").toArray(),
  );
  return { rows, versions: await templatesOf(token).walletVersions(ownerOf(token)) };
}

async function expectRefused(token: string, json: RequestJson<typeof walletSend>, field: string, reason: string) {
  const before = await state(token);
  const res = await api(walletSend, { token, json });
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  const body = expect400Shape(bodyAt(res, 400));
  expect(body.bad_formatted_fields).toEqual([field]);
  expect(body.error_details[field]?.[0]).toMatch(new RegExp(`^${reason}: `));
  expect(await state(token)).toEqual(before);
}

describe.each(["Voice", "Handwriting"] as const)("wallet round trip (%s)", (m) => {
  const M = MODALITIES[m];

  it("enrol, export, unregister, send back, verify again", async () => {
    const s = await newSession("STUDENT");
    const reg = await M.register(s.access);
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    expect(bodyAt(await M.verifySame(s.access), 200).is_match).toBe(true);

    let st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj[m]).toMatchObject({ available: true, server_has_template: true, template_version: 1, requested: false });

    const sealed = await exported(s.access, m);
    const { institutionId, studentId } = ownerOf(s.access);
    expect(headerOf(sealed)).toMatchObject({ typ: "trustid-template+jwt", sub: `${institutionId}:${studentId}`, mod: m, mid: M.modelId, ver: 1 });
    const storedBefore = (await state(s.access)).rows.map(({ biometric_type, model_id, version }) => ({ biometric_type, model_id, version }));

    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: m } })).status).toBe(200);
    expect((await M.verifySame(s.access)).status).toBe(404);

    const back = await api(walletSend, { token: s.access, json: { [M.field]: sealed } });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(bodyAt(back, 200).resource_array).toEqual([m]);
    const same = await M.verifySame(s.access);
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(bodyAt(same, 200).is_match).toBe(true);
    expect(bodyAt(await M.verifyOther(s.access), 200).is_match).toBe(false);
    // Restored under the same model id and version it was exported with.
    expect((await state(s.access)).rows.map(({ biometric_type, model_id, version }) => ({ biometric_type, model_id, version }))).toEqual(storedBefore);
    st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj[m]).toMatchObject({ server_has_template: true, template_version: 1 });
    expect(bodyAt(st, 200).resource_obj[m].export!.returned_at).not.toBeNull();

    // Again: a no-op success.
    expect((await api(walletSend, { token: s.access, json: { [M.field]: sealed } })).status).toBe(200);
  });

  it("refuses another student's export, a changed byte and the wrong field; nothing changes", async () => {
    const a = await newSession("STUDENT");
    const b = await newSession("STUDENT");
    expect((await M.register(a.access)).status).toBe(201);
    expect((await M.register(b.access)).status).toBe(201);
    const sealedA = await exported(a.access, m);
    const sealedB = await exported(b.access, m);
    await api(unregisterRoute, { token: b.access, json: { biometric_type: m } });

    await expectRefused(b.access, { [M.field]: sealedA }, M.field, "wrong_student");
    await expectRefused(b.access, { [M.field]: flipCiphertextByte(sealedB) }, M.field, "unreadable");
    const wrongField = m === "Voice" ? "handwriting_embeddings" : "voice_embeddings";
    await expectRefused(b.access, { [wrongField]: sealedB }, wrongField, "wrong_modality");
    expect((await M.verifySame(b.access)).status).toBe(404);

    // The untouched export still comes back.
    expect((await api(walletSend, { token: b.access, json: { [M.field]: sealedB } })).status).toBe(200);
    expect(bodyAt(await M.verifySame(b.access), 200).is_match).toBe(true);
  });
});

describe("wallet/send refuses a handwriting model this engine could not have built (as with a leaked seal key)", () => {
  it("a step of 0 ms, an unknown feature, a negative mean distance: unreadable, nothing stored", async () => {
    const s = await newSession("STUDENT");
    expect((await MODALITIES.Handwriting.register(s.access)).status).toBe(201);
    const sealed = await exported(s.access, "Handwriting");
    const e = env as unknown as Bindings;
    const secret = (e.WALLET_SEAL_KEY || e.TEMPLATE_ENCRYPTION_KEY)!;
    const opened = await openWalletTemplate(secret, sealed);
    if (!opened.ok) throw new Error(opened.detail);
    const model = JSON.parse(new TextDecoder().decode(b64urlToBytes(opened.claims.tpl)));
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Handwriting" } });
    // A probe's stepMs 0 ran the isolate out of memory at the next verification; features ["q"] made each a 500.
    for (const forged of [
      { ...model, params: { ...model.params, stepMs: 0 } },
      { ...model, params: { ...model.params, features: ["q"] } },
      { ...model, stats: { ...model.stats, avgMean: -1 } },
    ]) {
      const tpl = bytesToB64url(new TextEncoder().encode(JSON.stringify(forged)));
      await expectRefused(s.access, { handwriting_embeddings: await sealWalletTemplate(secret, { ...opened.claims, tpl }) }, "handwriting_embeddings", "unreadable");
    }
    // The genuine export still comes back.
    expect((await api(walletSend, { token: s.access, json: { handwriting_embeddings: sealed } })).status).toBe(200);
  });
});
