// The partner API's signing recipe against the worked example in docs/partner-api.md (the same vector
// anyone can reproduce with openssl), the status mapper, and the operator script's sealing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openSecret, verifyHmacSha256Hex } from "../../src/services/partner/crypto";
import { callbackSignature } from "../../src/services/partner/outbox";
import { jsonNumberTexts, signParams, stringToSign } from "../../src/services/partner/signature";
import { sessionStatus } from "../../src/services/exams/lifecycle";
// @ts-expect-error: plain ESM script without type declarations
import { sealSecret as scriptSeal } from "../../scripts/partner-credentials.mjs";

const doc = readFileSync(new URL("../../docs/partner-api.md", import.meta.url), "utf8");
const section = doc.slice(doc.indexOf("### Worked signing example"), doc.indexOf("## Credentials and rotation"));
const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2]!.trim() }));

describe("worked signing example (docs/partner-api.md)", () => {
  const secret = /Secret key: `([0-9a-f]+)`/.exec(section)![1]!;
  const body = JSON.parse(blocks.find((b) => b.lang === "json")!.text);
  const [stringBlock, , signatureBlock] = blocks.filter((b) => b.lang !== "json");

  it("builds the documented string and signature", async () => {
    const params = { ...body, exam_id: "42" };
    expect(stringToSign(params)).toBe(stringBlock!.text);
    expect(await signParams(secret, params)).toBe(signatureBlock!.text);
    expect(await signParams(secret, { ...params, signature: "ignored" })).toBe(signatureBlock!.text);
    expect(await verifyHmacSha256Hex(secret, stringBlock!.text, signatureBlock!.text)).toBe(true);
    expect(await verifyHmacSha256Hex(secret, stringBlock!.text, signatureBlock!.text.replace(/^./, "0"))).toBe(false);
  });

  it("is the same vector the README quotes, with its openssl command", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`printf '%s' '${stringBlock!.text}'`);
    expect(readme).toContain(`openssl dgst -sha256 -hmac '${secret}'`);
    expect(readme).toContain(`SHA2-256(stdin)= ${signatureBlock!.text}`);
  });

  it("matches the documented callback signature example", async () => {
    const header = await callbackSignature(
      ["3f1c6d2e8a9b4c7d0e5f1a2b3c4d5e6f"],
      '{"id":"0b7e9f57-3f0e-4c2a-9a55-1f7c2a8d9e10","type":"student_session.status_changed"}',
      1700000000_500,
    );
    expect(header).toBe("t=1700000000,v1=6be6f1ccbd41ba49cb3cfd9308fdf451f9a1932dd359d9545fd5af2466d92cb0");
    expect(doc).toContain("6be6f1ccbd41ba49cb3cfd9308fdf451f9a1932dd359d9545fd5af2466d92cb0");
  });
});

describe("session status mapper", () => {
  const base = { verificationStatus: "Pending" as const, joinedAt: null, leftAt: null, examStatus: "Upcoming" as const };
  it("derives the status from TRUSTID fields", () => {
    expect(sessionStatus(base)).toBe("registered");
    expect(sessionStatus({ ...base, verificationStatus: "Requested Manual Approval" })).toBe("in_setup");
    expect(sessionStatus({ ...base, verificationStatus: "Verified" })).toBe("exam_not_started");
    expect(sessionStatus({ ...base, verificationStatus: "Verified", joinedAt: 10 })).toBe("exam_started");
    expect(sessionStatus({ ...base, joinedAt: 10, leftAt: 20 })).toBe("exam_finished");
    expect(sessionStatus({ ...base, joinedAt: 30, leftAt: 20 })).toBe("exam_started"); // re-joined
    expect(sessionStatus({ ...base, joinedAt: 10, examStatus: "Completed" })).toBe("exam_finished");
    expect(sessionStatus({ ...base, examStatus: "Completed" })).toBe("registered");
  });
});

describe("operator script sealing", () => {
  it("seals secret keys so that the Worker opens them, bound to the institution", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const sealed = await scriptSeal(key, 12, "abc123");
    expect(await openSecret(key, 12, sealed)).toBe("abc123");
    expect(await openSecret(key, 13, sealed)).toBeNull();
    expect(await openSecret(Buffer.alloc(32, 8).toString("base64"), 12, sealed)).toBeNull();
  });
});

describe("JSON numbers as written", () => {
  it("reads each top-level number's text; strings, literals and repeated names as JSON.parse does", () => {
    expect(jsonNumberTexts('{"a":60.0,"b":12345678901234567890,"c":6e1,"d":"x\\"y","e":true,"f":-0.5E-3, "g" : 1 }')).toEqual({
      a: "60.0",
      b: "12345678901234567890",
      c: "6e1",
      f: "-0.5E-3",
      g: "1",
    });
    expect(jsonNumberTexts('{"a":1,"a":"s"}')).toEqual({});
    expect(jsonNumberTexts('{"k\\u0041":1.50}')).toEqual({ kA: "1.50" });
    expect(stringToSign({ duration: 60, name: "x" }, { duration: "60.0" })).toBe("duration=60.0?name=x");
  });
});
