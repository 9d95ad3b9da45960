// The one slow wallet test: the Face round trip with the real models on real pictures, through the API
// only (face_register, wallet/face, push_notification, unregister, wallet/send, face_verify).
import { describe, expect, inject, it } from "vitest";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as faceVerifyRoute } from "../../../src/routes/biometrics/face-verify";
import { route as pushNotification } from "../../../src/routes/biometrics/push-notification";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as walletFace } from "../../../src/routes/biometrics/wallet-face";
import { route as walletSend } from "../../../src/routes/biometrics/wallet-send";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { examWithEnrolment } from "../biometrics/fixtures";
import { pushToken } from "./fixtures";

const img = inject("faceImages");

describe("wallet round trip with the real face models", () => {
  it("register, export, unregister, send back, face_verify matches", { timeout: 90_000 }, async () => {
    if (!img.obama || !img.obama2 || !img.obama3) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const examId = await examWithEnrolment(s.access);
    const reg = await api(faceRegisterRoute, { token: s.access, json: { images: [img.obama, img.obama2] } });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const exp = await api(walletFace, { token: s.access, json: { expoPushToken: pushToken("ok") } });
    expect(exp.status, JSON.stringify(exp.body)).toBe(200);
    const inbox = await api(pushNotification, { token: s.access });
    const sealed = bodyAt(inbox, 200).resource_dict.exports[0]!.sealed;
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Face" } })).status).toBe(200);
    const gone = await api(faceVerifyRoute, { token: s.access, json: { image: img.obama3, exam_id: examId } });
    expect(gone.status).toBe(404);
    const back = await api(walletSend, { token: s.access, json: { face_embeddings: sealed } });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    const again = await api(faceVerifyRoute, { token: s.access, json: { image: img.obama3, exam_id: examId } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ is_match: true });
  });
});
