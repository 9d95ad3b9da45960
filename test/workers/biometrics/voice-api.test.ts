// Voice through /biometrics/register and /verify with real audio (test/signals-setup.ts reads the eval WAVs
// in Node): decoding, voice detection and the embedding run in the inference Worker, the template in the
// student's Durable Object. Same speaker accepted, another refused, silence is is_voice_detected=false.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { call, expect400Shape, newSession } from "../helpers";
import { templatesOf } from "./fixtures";

const voice = inject("signalSamples").voice;

function multipart(type: string, clips: string[]): FormData {
  const f = new FormData();
  f.set("biometric_type", type);
  for (const c of clips) f.append("voice_base64", c);
  return f;
}
const register = (token: string, clips: string[]) => call("/biometrics/register", { token, body: multipart("Voice", clips) });
const verify = (token: string, clip: string) => call("/biometrics/verify", { token, body: multipart("Voice", [clip]) });

async function stored(token: string) {
  return runInDurableObject(templatesOf(token), async (_o, state) =>
    state.storage.sql.exec("SELECT biometric_type, version, hex(ciphertext) AS c FROM templates ORDER BY biometric_type").toArray(),
  );
}

describe("Voice register / verify", () => {
  it("enrols from 3 clips, accepts the same speaker, refuses another; silence is no voice", async () => {
    const s = await newSession("STUDENT");
    expect((await verify(s.access, voice.same)).status).toBe(404);

    const reg = await register(s.access, voice.enrol);
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    expect(reg.body).toMatchObject({ resource_name: "Voice", resource_bool: true, resource_dict: { samples: 3, version: 1 } });
    expect((await call("/biometrics/list", { token: s.access })).body).toMatchObject({ resource_array: ["Voice"], resource_dict: { Voice: "active" } });

    const same = await verify(s.access, voice.same);
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ resource_name: "Voice", is_match: true, is_voice_detected: true, resource_bool: true });
    expect(same.body.resource_dict.score).toBeGreaterThanOrEqual(same.body.resource_dict.threshold);

    const other = await verify(s.access, voice.other);
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ is_match: false, is_voice_detected: true, resource_bool: false });

    // A browser recording (WebM/Opus) decodes in the inference Worker and holds speech.
    const webm = await call("/biometrics/verify", { token: s.access, ...{ body: new URLSearchParams({ biometric_type: "Voice", src: `data:audio/webm;codecs=opus;base64,${voice.webm}` }), headers: { "content-type": "application/x-www-form-urlencoded" } } });
    expect(webm.status, JSON.stringify(webm.body)).toBe(200);
    expect(webm.body.is_voice_detected).toBe(true);

    const silence = await verify(s.access, voice.silence);
    expect(silence.status).toBe(200);
    expect(silence.body).toMatchObject({ is_voice_detected: false, is_match: false, resource_bool: false, resource_dict: { score: null } });
  });

  it("unusable clips are 400s and change no template", async () => {
    const s = await newSession("STUDENT");
    expect((await register(s.access, [voice.enrol[0]!])).status).toBe(201);
    const before = await stored(s.access);
    const cases: [string, string[], RegExp][] = [
      ["silence", [voice.silence], /^silent/],
      ["silence among good clips", [voice.enrol[1]!, voice.silence], /clip 2/],
      ["not audio", [btoa("this is not a WAV file at all, just text")], /^undecodable/],
      ["a truncated WAV", [voice.enrol[0]!.slice(0, 40)], /^(undecodable|truncated|too_short)/],
      ["not base64", ["%%%"], /Not valid base64/],
      ["eleven clips", Array(11).fill(voice.enrol[2]!), /at most 10/],
      ["clips of two speakers", [voice.enrol[0]!, voice.enrol[1]!, voice.other], /^inconsistent_speakers: clips [12] and 3 do not sound like the same speaker/],
    ];
    for (const [what, clips, pattern] of cases) {
      const res = await register(s.access, clips);
      expect(res.status, what).toBe(400);
      const details = Object.values(expect400Shape(res.body).error_details as Record<string, string[]>).flat().join(" ");
      expect(details, what).toMatch(pattern);
    }
    const bad = await verify(s.access, btoa("not audio"));
    expect(bad.status).toBe(400);
    expect(bad.body.bad_formatted_fields).toEqual(["voice_base64"]);
    expect(await stored(s.access)).toEqual(before);
    expect((await call("/biometrics/unregister", { token: s.access, json: { biometric_type: "Voice" } })).status).toBe(200);
    expect(await stored(s.access)).toEqual([]);
  });
});
