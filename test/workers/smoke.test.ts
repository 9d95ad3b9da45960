import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("GET /backend/trustid_version", () => {
  it("answers versions and the server time in the envelope", async () => {
    const res = await call("/trustid_version");
    expect(res.status).toBe(200);
    expect(res.body.resource_name).toBe("trustid_version");
    expect(res.body.resource_dict).toMatchObject({ server_version: 1, windows_version: 1, macos_version: 1 });
    expect(typeof res.body.resource_dict.timestamp).toBe("number");
  });
});
