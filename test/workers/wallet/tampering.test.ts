// Every way a returned template must be refused: a 400 naming the field, and nothing changes.
import { env } from "cloudflare:test";
import type { Bindings } from "../../../src/env";
import { describe, expect, it } from "vitest";
import { bytesToB64url, openWalletTemplate, sealWalletTemplate } from "../../../src/templates/seal/wallet-export";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { route as pushNotification } from "../../../src/routes/biometrics/push-notification";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as walletFace } from "../../../src/routes/biometrics/wallet-face";
import { route as walletRevoke } from "../../../src/routes/biometrics/wallet-revoke";
import { route as walletSend } from "../../../src/routes/biometrics/wallet-send";
import { route as walletStatus } from "../../../src/routes/biometrics/wallet-status";
import { api, bodyAt, type RequestJson } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { enrolFace, flipCiphertextByte, ownerOf, pushToken, templatesOf, verify } from "./fixtures";

async function exportedFace(token: string): Promise<string> {
  const exp = await api(walletFace, { token, json: { expoPushToken: pushToken("ok") } });
  expect(exp.status).toBe(200);
  const inbox = await api(pushNotification, { query: { export_id: bodyAt(exp, 200).resource_dict.export_id }, token });
  return bodyAt(inbox, 200).resource_dict.exports[0]!.sealed;
}

const state = async (token: string) => ({
  versions: await templatesOf(token).walletVersions(ownerOf(token)),
  list: await templatesOf(token).list(ownerOf(token), { Face: FACE_MODEL_ID }),
});

async function expectRefused(token: string, json: RequestJson<typeof walletSend>, field: string, reason: string) {
  const before = await state(token);
  const res = await api(walletSend, { token, json });
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  const body = expect400Shape(bodyAt(res, 400));
  expect(body.bad_formatted_fields).toEqual([field]);
  expect(body.error_details[field]?.[0]).toMatch(new RegExp(`^${reason}: `));
  expect(await state(token)).toEqual(before);
  return body;
}

describe("wallet/send refuses tampered or foreign templates", () => {
  it("another student's template", async () => {
    const a = await newSession("STUDENT");
    const b = await newSession("STUDENT");
    await enrolFace(a.access, 301);
    const bFace = await enrolFace(b.access, 302);
    const sealedA = await exportedFace(a.access);
    await api(unregisterRoute, { token: b.access, json: { biometric_type: "Face" } });
    const body = await expectRefused(b.access, { face_embeddings: sealedA }, "face_embeddings", "wrong_student");
    expect(body.message).toMatch(/another student/);
    expect((await verify(b.access, bFace)).status).toBe("not_enrolled");
    // And a student of another institution.
    const c = await newSession("STUDENT", "UPAT");
    await expectRefused(c.access, { face_embeddings: sealedA }, "face_embeddings", "wrong_student");
  });

  it("a changed byte anywhere: ciphertext, header, tag, iv; non-canonical base64url; garbage", async () => {
    const s = await newSession("STUDENT");
    await enrolFace(s.access, 311);
    const sealed = await exportedFace(s.access);
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    await expectRefused(s.access, { face_embeddings: flipCiphertextByte(sealed) }, "face_embeddings", "unreadable");
    const parts = sealed.split(".");
    const swap = (p: string, i: number) => p.slice(0, i) + (p[i] === "A" ? "B" : "A") + p.slice(i + 1);
    for (const k of [0, 2, 3, 4]) {
      const changed = [...parts];
      changed[k] = swap(parts[k]!, Math.floor(parts[k]!.length / 2));
      await expectRefused(s.access, { face_embeddings: changed.join(".") }, "face_embeddings", "unreadable");
    }
    // The last character of the tag carries unused bits: changing only those must be refused too.
    const tag = parts[4]!;
    const last = tag[tag.length - 1]!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!; // 16-byte tag: 22 chars, the last one's low 4 bits unused
    await expectRefused(s.access, { face_embeddings: [...parts.slice(0, 4), tag.slice(0, -1) + twin].join(".") }, "face_embeddings", "unreadable");
    await expectRefused(s.access, { face_embeddings: "not a template" }, "face_embeddings", "unreadable");
    await expectRefused(s.access, { face_embeddings: "a.b.c.d.e" }, "face_embeddings", "unreadable");
    // Untouched, it still comes back.
    expect((await api(walletSend, { token: s.access, json: { face_embeddings: sealed } })).status).toBe(200);
  });

  it("an expired export", async () => {
    const s = await newSession("STUDENT");
    const face = await enrolFace(s.access, 321);
    const day = 86_400_000;
    const r = await templatesOf(s.access).exportTemplate(ownerOf(s.access), "Face", FACE_MODEL_ID, crypto.randomUUID(), Date.now() - 31 * day, 30 * day);
    if (!r.ok) throw new Error("export failed");
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    await expectRefused(s.access, { face_embeddings: r.sealed }, "face_embeddings", "expired");
    expect((await verify(s.access, face)).status).toBe("not_enrolled");
  });

  it("an old version after re-enrolment, and after revocation of wallet copies", async () => {
    const s = await newSession("STUDENT");
    await enrolFace(s.access, 331);
    const v1 = await exportedFace(s.access);
    const newFace = await enrolFace(s.access, 332); // re-enrolment: version 2
    await expectRefused(s.access, { face_embeddings: v1 }, "face_embeddings", "stale_version");
    expect((await verify(s.access, newFace)).status).toBe("match");
    // Re-enrolment after deleting the server copy does not reuse version 1 either.
    const v2 = await exportedFace(s.access);
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    const third = await enrolFace(s.access, 333);
    await expectRefused(s.access, { face_embeddings: v2 }, "face_embeddings", "stale_version");
    await expectRefused(s.access, { face_embeddings: v1 }, "face_embeddings", "stale_version");

    // Lost phone: revoke every copy out there; the server's copy keeps working under the new version.
    const v3 = await exportedFace(s.access);
    const rev = await api(walletRevoke, { token: s.access, json: { biometric_type: "Face" } });
    expect(rev.status).toBe(200);
    expect(bodyAt(rev, 200).resource_dict).toEqual({ biometric_type: "Face", template_version: 4, server_has_template: true });
    expect((await verify(s.access, third)).status).toBe("match");
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    await expectRefused(s.access, { face_embeddings: v3 }, "face_embeddings", "stale_version");
    const st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face).toMatchObject({ server_has_template: false, template_version: 4, export: { valid: false } });
    const revNone = await api(walletRevoke, { token: s.access, json: { biometric_type: "Voice" } });
    expect(revNone.status).toBe(404);
  });

  it("a sealed template whose content is not a template (as with a leaked seal key): refused, never stored", async () => {
    const s = await newSession("STUDENT");
    await enrolFace(s.access, 343);
    const sealed = await exportedFace(s.access);
    const e = env as unknown as Bindings;
    const secret = (e.WALLET_SEAL_KEY || e.TEMPLATE_ENCRYPTION_KEY)!;
    const opened = await openWalletTemplate(secret, sealed);
    if (!opened.ok) throw new Error(opened.detail);
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    const floats = (values: number[]) => bytesToB64url(new Uint8Array(Float32Array.from(values).buffer));
    // A probe's 1- and 1024-value templates were stored (every later verification a 500); `@@@@` was a 500 itself.
    for (const tpl of [floats([1]), floats(Array(1024).fill(1 / 32)), floats(Array(512).fill(Number.NaN)), floats(Array(512).fill(0)), "@@@@"]) {
      const forged = await sealWalletTemplate(secret, { ...opened.claims, tpl });
      const body = await expectRefused(s.access, { face_embeddings: forged }, "face_embeddings", "unreadable");
      expect(body.error_details.face_embeddings?.[0]).toMatch(/malformed template/);
    }
    await expectRefused(s.access, { face_embeddings: await sealWalletTemplate(secret, { ...opened.claims, n: -1 }) }, "face_embeddings", "unreadable");
  });

  it("a template of another model", async () => {
    const s = await newSession("STUDENT");
    await enrolFace(s.access, 341, "an-older-face-model");
    const r = await templatesOf(s.access).exportTemplate(ownerOf(s.access), "Face", "an-older-face-model", crypto.randomUUID(), Date.now(), 86_400_000);
    if (!r.ok) throw new Error("export failed");
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    const body = await expectRefused(s.access, { face_embeddings: r.sealed }, "face_embeddings", "model_mismatch");
    expect(body.error_details.face_embeddings?.[0]).toContain(FACE_MODEL_ID);
    // The API itself does not export a template of an older model.
    await enrolFace(s.access, 342, "an-older-face-model");
    const exp = await api(walletFace, { token: s.access, json: { expoPushToken: pushToken("ok") } });
    expect(exp.status).toBe(400);
    expect(bodyAt(exp, 400).error_details.biometric_type?.[0]).toMatch(/^reenrolment_required/);
  });

  it("a template in the wrong field; all or nothing", async () => {
    const s = await newSession("STUDENT");
    const face = await enrolFace(s.access, 351);
    const sealed = await exportedFace(s.access);
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    await expectRefused(s.access, { voice_embeddings: sealed }, "voice_embeddings", "wrong_modality");
    // A good face with a bad voice: nothing is restored.
    await expectRefused(s.access, { face_embeddings: sealed, voice_embeddings: flipCiphertextByte(sealed) }, "voice_embeddings", "unreadable");
    expect((await verify(s.access, face)).status).toBe("not_enrolled");
  });

  it("input: nothing to restore, wrong types, oversized", async () => {
    const s = await newSession("STUDENT");
    const none = await api(walletSend, { token: s.access, json: {} });
    expect(none.status).toBe(400);
    expect(expect400Shape(bodyAt(none, 400)).missing_required_fields).toEqual(["face_embeddings"]);
    const blank = await api(walletSend, { token: s.access, json: { face_embeddings: "", voice_embeddings: null } });
    expect(blank.status).toBe(400);
    const wrongType = await api(walletSend, { token: s.access, unchecked: { face_embeddings: 12 } });
    expect(wrongType.status).toBe(400);
    expect(bodyAt(wrongType, 400).bad_formatted_fields).toEqual(["face_embeddings"]);
    const huge = await api(walletSend, { token: s.access, json: { face_embeddings: "A".repeat(300_000) } });
    expect(huge.status).toBe(400);
    const bad = await api(walletSend, { token: s.access, raw: { body: "{nope", contentType: "application/json" } });
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).error_details.json).toBeDefined();
  });
});
