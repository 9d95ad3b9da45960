import { describe, expect, it } from "vitest";
import { route as trustidVersion } from "../../src/routes/system/trustid-version";
import { api, bodyAt } from "./api";

describe("GET /backend/trustid_version", () => {
  it("answers versions and the server time in the envelope", async () => {
    const res = await api(trustidVersion);
    expect(res.status).toBe(200);
    const body = bodyAt(res, 200);
    expect(body.resource_name).toBe("trustid_version");
    expect(body.resource_dict).toMatchObject({ server_version: 1, windows_version: 1, macos_version: 1 });
    expect(typeof body.resource_dict.timestamp).toBe("number");
  });
});
