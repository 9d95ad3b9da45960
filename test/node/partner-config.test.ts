// The partner API's settings in src/env.ts: optional key (the API answers 503 without it), checked
// format, configurable timestamp window, callback expiry and credential cache time.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";

const base = { DATABASE_URL: "http://127.0.0.1:1", JWT_SECRET: "x".repeat(32), ENVIRONMENT: "test" };

describe("partner configuration", () => {
  it("has defaults and reads the settings", () => {
    expect(loadConfig({ ...base }).partner).toEqual({ secretKeyEncryptionKey: undefined, timestampToleranceSeconds: 300, callbackExpiryHours: 24, credentialCacheSeconds: 60 });
    const key = Buffer.alloc(32, 1).toString("base64");
    const c = loadConfig({ ...base, PARTNER_SECRET_KEY_ENCRYPTION_KEY: key, PARTNER_TIMESTAMP_TOLERANCE_SECONDS: "60", PARTNER_CALLBACK_EXPIRY_HOURS: "48", PARTNER_CREDENTIAL_CACHE_SECONDS: "0" });
    expect(c.partner).toEqual({ secretKeyEncryptionKey: key, timestampToleranceSeconds: 60, callbackExpiryHours: 48, credentialCacheSeconds: 0 });
  });

  it("refuses a key that is not base64 of 32 bytes", () => {
    expect(() => loadConfig({ ...base, PARTNER_SECRET_KEY_ENCRYPTION_KEY: Buffer.alloc(16).toString("base64") })).toThrow();
    expect(() => loadConfig({ ...base, PARTNER_SECRET_KEY_ENCRYPTION_KEY: "not base64!" })).toThrow();
    expect(() => loadConfig({ ...base, PARTNER_TIMESTAMP_TOLERANCE_SECONDS: "0" })).toThrow();
    expect(() => loadConfig({ ...base, PARTNER_CREDENTIAL_CACHE_SECONDS: "-1" })).toThrow();
  });
});
