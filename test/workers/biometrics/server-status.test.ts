import { describe, expect, it } from "vitest";
import { call, newSession } from "../helpers";

describe("GET /backend/biometrics/server_status", () => {
  it("says Face is available, Voice and Handwriting not yet", async () => {
    const s = await newSession("STUDENT");
    const res = await call("/biometrics/server_status", { token: s.access });
    expect(res.status).toBe(200);
    expect(res.body.resource_dict).toEqual({ Face: true, Voice: false, Handwriting: false });
  });
});
