// Form bodies as real HTTP clients frame them (found by a black-box probe): extra Content-Type parameters
// (`; charset=UTF-8`, Apache HttpClient's and Spring's multipart) are ignored, and a body that is not a valid form
// is a 400 naming the form, not a bare 415 or "Malformed JSON".
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { newSession } from "../helpers";

const app = createApp();
const multipart = (boundary: string) =>
  [`--${boundary}`, 'Content-Disposition: form-data; name="biometric_type"', "", "Face", `--${boundary}`, 'Content-Disposition: form-data; name="voice_base64"', "", "bm90IGEgcGljdHVyZQ==", `--${boundary}--`, ""].join("\r\n");
const verify = async (token: string, contentType: string, body: string) => {
  const res = await app.request("/backend/biometrics/verify", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body }, env);
  return { status: res.status, body: (await res.json()) as { message: string; error_details?: Record<string, string[]> } };
};

describe("form bodies", () => {
  it("ignores Content-Type parameters other than the boundary", async () => {
    const s = await newSession("STUDENT");
    const plain = await verify(s.access, "multipart/form-data; boundary=XyZ", multipart("XyZ"));
    for (const contentType of ["multipart/form-data; boundary=XyZ; charset=UTF-8", 'multipart/form-data; charset=utf-8; boundary="XyZ"']) {
      const res = await verify(s.access, contentType, multipart("XyZ"));
      expect(res, contentType).toEqual(plain);
    }
    expect(plain.status).not.toBe(415);
    const urlencoded = await verify(s.access, "application/x-www-form-urlencoded; charset=UTF-8", "biometric_type=Face&voice_base64=bm90IGEgcGljdHVyZQ%3D%3D");
    expect(urlencoded).toEqual(plain);
  });

  it("takes a sample sent as a file part (a browser's FormData with a Blob) like its base64 text", async () => {
    const s = await newSession("STUDENT");
    const send = async (sample: Blob | string) => {
      const form = new FormData();
      form.append("biometric_type", "Face");
      if (typeof sample === "string") form.append("voice_base64", sample);
      else form.append("voice_base64", sample, "sample.bin");
      const res = await app.request("/backend/biometrics/verify", { method: "POST", headers: { authorization: `Bearer ${s.access}` }, body: form }, env);
      return { status: res.status, body: await res.json() };
    };
    // A JPEG's first bytes, cut short: undecodable either way, with the same answer.
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    const asText = await send(btoa(String.fromCharCode(...bytes)));
    expect(asText.status).toBe(400);
    expect(await send(new Blob([bytes]))).toEqual(asText); // the bytes as a file part
    expect(await send(new Blob([btoa(String.fromCharCode(...bytes))]))).toEqual(asText); // a file holding the base64 text
  });

  it("answers a body that is not a valid form with a 400 naming the form", async () => {
    const s = await newSession("STUDENT");
    for (const [contentType, body] of [
      ["multipart/form-data", multipart("XyZ")],
      ["multipart/form-data; boundary=XyZ", multipart("XyZ").slice(0, 60)],
    ] as const) {
      const res = await verify(s.access, contentType, body);
      expect(res.status, contentType).toBe(400);
      expect(res.body.message).toBe("Malformed form body");
      expect(res.body.error_details?.form?.[0]).toMatch(/^The request body is not a valid form: /);
    }
  });

  it("refuses a compressed body with a 415 naming the coding", async () => {
    const s = await newSession("STUDENT");
    const res = await app.request(
      "/backend/student/checkup_process",
      { method: "POST", headers: { authorization: `Bearer ${s.access}`, "content-type": "application/json", "content-encoding": "gzip" }, body: new Uint8Array([0x1f, 0x8b, 8, 0]) },
      env,
    );
    expect(res.status).toBe(415);
    expect(((await res.json()) as { message: string }).message).toMatch(/Content-Encoding "gzip" is not accepted/);
  });
});
