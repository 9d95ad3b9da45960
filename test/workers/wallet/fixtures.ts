// Wallet test fixtures: fast enrolment straight into the student's template object (the face
// engineer's path, test/workers/biometrics/fixtures.ts), the fake Expo service's records, a changed byte.
import { inject } from "vitest";
import { FACE_MODEL_ID } from "../../../src/biometrics/face/policy";
import { near, ownerOf, templatesOf, unitVector } from "../biometrics/fixtures";

export { db, ownerOf, templatesOf, unitVector, near } from "../biometrics/fixtures";

/** Enrols a face template from synthetic embeddings; returns the identity vector to verify with. */
export async function enrolFace(token: string, seed: number, modelId = FACE_MODEL_ID, now = Date.now()): Promise<number[]> {
  const v = unitVector(seed);
  const r = await templatesOf(token).enrolFace(ownerOf(token), [v, near(v, 0.05, seed + 1), near(v, 0.05, seed + 2)], modelId, now);
  if (!r.ok) throw new Error("enrolment failed");
  return v;
}

export const verify = (token: string, embedding: number[]) => templatesOf(token).verifyFace(ownerOf(token), embedding, FACE_MODEL_ID, "high");

let n = 0;
/** A fresh token of a given behaviour of the fake Expo service (see test/support/fake-expo.ts). */
export const pushToken = (kind: string) => `ExponentPushToken[${kind}-${Date.now().toString(36)}${(n++).toString(36)}${crypto.randomUUID().slice(0, 6)}]`;
export const kindOf = (token: string) => /\[(.*)\]$/.exec(token)![1]!;

export async function expoSent(token: string): Promise<{ message: any; headers: Record<string, string> }[]> {
  return (await fetch(`${inject("expoPushUrl")}/sent?token=${encodeURIComponent(kindOf(token))}`)).json() as any;
}

/** The sealed export with one byte of its ciphertext flipped (re-encoded canonically). */
export function flipCiphertextByte(jwe: string): string {
  const parts = jwe.split(".");
  const b = Uint8Array.from(atob(parts[3]!.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(parts[3]!.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
  b[Math.floor(b.length / 2)]! ^= 0x01;
  parts[3] = btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return parts.join(".");
}

/** The protected header, as the wallet can read it without the key. */
export function headerOf(jwe: string): Record<string, unknown> {
  const h = jwe.split(".")[0]!;
  return JSON.parse(atob(h.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(h.length / 4) * 4, "=")));
}
