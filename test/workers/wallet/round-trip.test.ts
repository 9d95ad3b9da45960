// The wallet round trip for Face (Voice and Handwriting: signal-modalities.test.ts): enrol, export to the wallet, unregister
// on the server, send back, verify again. Enrolment goes straight into the template object (fast path);
// the export, the wallet's fetch, unregister and the return go through the API.
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { route as pushNotification } from "../../../src/routes/biometrics/push-notification";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as walletFace } from "../../../src/routes/biometrics/wallet-face";
import { route as walletSend } from "../../../src/routes/biometrics/wallet-send";
import { route as walletStatus } from "../../../src/routes/biometrics/wallet-status";
import { route as myData } from "../../../src/routes/student/my-data";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { enrolFace, expoSent, headerOf, ownerOf, pushToken, templatesOf, verify } from "./fixtures";

describe("wallet round trip (Face)", () => {
  it("enrol, export, fetch, unregister, send back, verify again", async () => {
    const s = await newSession("STUDENT");
    const face = await enrolFace(s.access, 101);
    expect((await verify(s.access, face)).status).toBe("match");

    const token = pushToken("ok");
    const exp = await api(walletFace, { token: s.access, json: { expoPushToken: token } });
    expect(exp.status).toBe(200);
    expect(exp.body).toMatchObject({ resource_name: "Face", resource_array: ["Face"] });
    const view = bodyAt(exp, 200).resource_dict;
    expect(view).toMatchObject({ biometric_type: "Face", model_id: FACE_MODEL_ID, template_version: 1, push: { status: "sent", error: null }, fetched_by_wallet: false });
    expect(JSON.stringify(exp.body)).not.toMatch(/eyJ/); // no sealed payload in the export answer

    // The desktop app waits for the phone.
    let st = await api(walletStatus, { token: s.access });
    expect(st.status).toBe(200);
    expect(bodyAt(st, 200).resource_obj.Face).toMatchObject({ available: true, server_has_template: true, template_version: 1, requested: true });
    expect(bodyAt(st, 200).resource_obj.Face.export).toMatchObject({ export_id: view.export_id, push: { status: "delivered" }, fetched_by_wallet: false, valid: true });
    // Voice is available on the server but this student has no Voice template.
    expect(bodyAt(st, 200).resource_obj.Voice).toMatchObject({ available: true, server_has_template: false, requested: false, export: null });
    // What a client tests for truth is a boolean, as in the spec (issue 18 part 4); the details are in resource_obj.
    expect(bodyAt(st, 200).resource_dict).toEqual({ Face: true, Voice: false, Handwriting: false });

    // The phone gets the notice (id only) and fetches the sealed export.
    const [notice] = await expoSent(token);
    expect(notice!.message.data).toEqual({ type: "trustid.wallet.export", export_id: view.export_id, biometric_type: "Face" });
    // A HEAD (a proxy, a link checker) delivers nothing, so it is not the wallet's fetch (a probe saw it recorded as one).
    const { SELF } = await import("cloudflare:test");
    const head = await SELF.fetch("http://trustid.test/backend/biometrics/push_notification", { method: "HEAD", headers: { authorization: `Bearer ${s.access}` } });
    expect(head.status).toBe(200);
    expect(bodyAt(await api(walletStatus, { token: s.access }), 200).resource_obj.Face.export!.fetched_by_wallet).toBe(false);
    const inbox = await api(pushNotification, { query: { export_id: view.export_id }, token: s.access });
    expect(inbox.status).toBe(200);
    expect(bodyAt(inbox, 200).resource_array).toEqual(["Face"]);
    const item = bodyAt(inbox, 200).resource_dict.exports[0]!;
    expect(item).toMatchObject({ export_id: view.export_id, valid: true, fetched_by_wallet: true });
    const sealed: string = item.sealed;
    expect(sealed.split(".")).toHaveLength(5);
    const { institutionId, studentId } = ownerOf(s.access);
    expect(headerOf(sealed)).toMatchObject({ alg: "dir", enc: "A256GCM", typ: "trustid-template+jwt", sub: `${institutionId}:${studentId}`, mod: "Face", mid: FACE_MODEL_ID, ver: 1, jti: view.export_id });
    st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face.export!.fetched_by_wallet).toBe(true);

    // The server forgets the template; the wallet keeps it.
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } })).status).toBe(200);
    expect((await verify(s.access, face)).status).toBe("not_enrolled");
    st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face).toMatchObject({ server_has_template: false, template_version: 1, export: { valid: true } });

    // Back from the wallet: verification works again.
    const back = await api(walletSend, { token: s.access, json: { face_embeddings: sealed, voice_embeddings: "" } });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ resource_name: "face", resource_array: ["Face"] }); // the spec's 200_5: user, face or voice
    const again = await verify(s.access, face);
    expect(again.status).toBe("match");
    // A registration sample is still a copy after the round trip: its digests travel sealed with the template (a
    // probe's registration picture verified again after a restore without them).
    expect(again).toHaveProperty("repeatedAfterMs");
    expect(await verify(s.access, (await import("./fixtures")).near(face, 0.05, 77))).not.toHaveProperty("repeatedAfterMs");
    expect((await verify(s.access, (await import("./fixtures")).unitVector(999))).status).toBe("no_match");
    st = await api(walletStatus, { token: s.access });
    expect(bodyAt(st, 200).resource_obj.Face).toMatchObject({ server_has_template: true, template_version: 1 });
    expect(bodyAt(st, 200).resource_obj.Face.export!.returned_at).not.toBeNull();

    // The student's copy of their data shows all the service keeps of the export (a probe: my_data had no push token,
    // version, fetch or return time), but not the sealed copy itself.
    const mine = bodyAt(await api(myData, { token: s.access }), 200).resource_dict.wallet_exports.find((e) => e.export_id === view.export_id);
    expect(mine).toMatchObject({ template_version: 1, push_token: token, push_status: "delivered", push_error: null, fetched_at: expect.any(String), returned_at: expect.any(String) });
    expect(JSON.stringify(mine)).not.toContain(sealed.slice(0, 40));

    // Sending the same export again changes nothing and is not an error.
    const twice = await api(walletSend, { token: s.access, json: { face_embeddings: sealed } });
    expect(twice.status).toBe(200);
    expect((await templatesOf(s.access).list(ownerOf(s.access), { Face: FACE_MODEL_ID }))).toHaveLength(1);
  });

  it("a failed push loses nothing: the wallet fetches the export anyway", async () => {
    const s = await newSession("STUDENT");
    const face = await enrolFace(s.access, 202);
    const exp = await api(walletFace, { token: s.access, json: { expoPushToken: pushToken("unregistered") } });
    expect(exp.status).toBe(200);
    expect(bodyAt(exp, 200).resource_dict.push).toMatchObject({ status: "failed", error: "DeviceNotRegistered" });
    expect(bodyAt(exp, 200).message).toMatch(/can still fetch/);
    const inbox = await api(pushNotification, { token: s.access });
    const sealed = bodyAt(inbox, 200).resource_dict.exports[0]!.sealed;
    await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } });
    expect((await api(walletSend, { token: s.access, json: { face_embeddings: sealed } })).status).toBe(200);
    expect((await verify(s.access, face)).status).toBe("match");
  });
});
