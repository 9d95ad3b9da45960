// The student's template Durable Object, without inference: synthetic embeddings go straight to its RPC.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import type { EnrolResult, VerifyResult } from "../../../src/templates/types";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { api } from "../api";
import { newSession } from "../helpers";
import { near, ownerOf, templatesOf, unitVector } from "./fixtures";

describe("StudentTemplates", () => {
  it("stores the template encrypted: the stored bytes are not the embedding", async () => {
    const s = await newSession("STUDENT");
    const v = unitVector(1);
    const stub = templatesOf(s.access);
    const res = await stub.enrolFace(ownerOf(s.access), [v], FACE_MODEL_ID, 1000);
    expect(res.ok).toBe(true);
    const rows = await runInDurableObject(stub, async (_o, state) => state.storage.sql.exec("SELECT * FROM templates").toArray());
    expect(rows).toHaveLength(1);
    const stored = new Uint8Array(rows[0]!.ciphertext as ArrayBuffer);
    const plain = new Uint8Array(Float32Array.from(v).buffer);
    expect(stored.length).toBe(plain.length + 16); // AES-GCM tag
    // No 16-byte window of the plain vector appears in what is stored.
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const storedHex = hex(stored);
    for (let i = 0; i + 16 <= plain.length; i += 64) expect(storedHex.includes(hex(plain.subarray(i, i + 16)))).toBe(false);
    expect(Object.keys(rows[0]!)).not.toContain("image");
    // And it still verifies.
    expect(await stub.verifyFace(ownerOf(s.access), near(v, 0.3, 7), FACE_MODEL_ID, "high")).toMatchObject({ status: "match" });
    expect(await stub.verifyFace(ownerOf(s.access), unitVector(99), FACE_MODEL_ID, "high")).toMatchObject({ status: "no_match" });
  });

  it("asks for re-enrolment after a model change, and list says so", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    await stub.enrolFace(ownerOf(s.access), [unitVector(2)], "an-older-face-model", 1000);
    expect(await stub.verifyFace(ownerOf(s.access), unitVector(2), FACE_MODEL_ID, "high")).toEqual({ status: "reenrolment_required", enrolledModelId: "an-older-face-model" });
    const list = await api(listRoute, { token: s.access });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ resource_array: ["Face"], resource_dict: { Face: "reenrolment_required" } });
  });

  it("refuses a set that does not agree with itself and keeps the previous template", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const v = unitVector(3);
    await stub.enrolFace(ownerOf(s.access), [v], FACE_MODEL_ID, 1000);
    const res = await stub.enrolFace(ownerOf(s.access), [near(v, 0.2, 4), unitVector(5)], FACE_MODEL_ID, 2000);
    expect(res).toMatchObject({ ok: false, reason: "inconsistent_set", pair: [0, 1] });
    expect(await stub.verifyFace(ownerOf(s.access), v, FACE_MODEL_ID, "high")).toMatchObject({ status: "match" });
  });

  it("concurrent enrolments never lose or corrupt a template", async () => {
    const s = await newSession("STUDENT");
    const stub = templatesOf(s.access);
    const owner = ownerOf(s.access);
    const vectors = [10, 11, 12, 13, 14, 15].map((k) => unitVector(k));
    const results: EnrolResult[] = await Promise.all(vectors.map((v, i) => stub.enrolFace(owner, [v, near(v, 0.1, 100 + i)], FACE_MODEL_ID, 1000 + i)));
    const versions = results.map((r) => (r.ok ? r.version : 0)).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
    // The last write wins whole: its vector matches, and exactly one does.
    const last = results.findIndex((r) => r.ok && r.version === 6);
    const checks: VerifyResult[] = await Promise.all(vectors.map((v) => stub.verifyFace(owner, v, FACE_MODEL_ID, "high")));
    expect(checks.filter((c) => c.status === "match")).toHaveLength(1);
    expect(checks[last]).toMatchObject({ status: "match" });
  });
});
