// POST /biometrics/face_check: registration's quality checks for capture pages, compared with nothing and recorded
// nowhere (the enrolment page's checks through /biometrics/verify were decision records in the error report).
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { decisions } from "../../../src/db/schema";
import { route as faceCheckRoute } from "../../../src/routes/biometrics/face-check";
import { api, bodyAt } from "../api";
import { newSession } from "../helpers";
import { db, ownerOf } from "./fixtures";

const img = inject("faceImages");

describe("POST /biometrics/face_check", () => {
  it("answers a usable picture 200 and a picture without a face 400 no_face, and records no decision", { timeout: 60_000 }, async () => {
    if (!img.obama || !img.gradient) return; // ../shared/data not present
    const s = await newSession("STUDENT");
    const good = bodyAt(await api(faceCheckRoute, { token: s.access, json: { image: `data:image/jpeg;base64,${img.obama}` } }), 200);
    expect(good).toMatchObject({ resource_bool: true, resource_dict: { faces: 1 } });
    const none = await api(faceCheckRoute, { token: s.access, json: { image: img.gradient } });
    expect(bodyAt(none, 400).error_details.image?.[0]).toMatch(/^no_face: /);
    expect(await db().select().from(decisions).where(eq(decisions.studentId, ownerOf(s.access).studentId))).toEqual([]);
    expect((await api(faceCheckRoute, { token: s.access, json: { image: "aGVsbG8=" } })).status).toBe(400);
  });
});
