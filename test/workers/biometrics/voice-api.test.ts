// Voice through /biometrics/register and /verify with real audio (test/signals-setup.ts reads the eval WAVs
// in Node): decoding, voice detection and the embedding run in the inference Worker, the template in the
// student's Durable Object. Same speaker accepted, another refused, silence is is_voice_detected=false.
import { runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { route as listRoute } from "../../../src/routes/biometrics/list";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { route as unregisterRoute } from "../../../src/routes/biometrics/unregister";
import { route as verifyRoute } from "../../../src/routes/biometrics/verify";
import { encodeWav16, parseWav } from "../../../src/biometrics/voice/wav";
import { api, bodyAt } from "../api";
import { expect400Shape, newSession } from "../helpers";
import { templatesOf } from "./fixtures";

const voice = inject("signalSamples").voice;

// Multipart, each clip its own voice_base64 field.
const register = (token: string, clips: string[]) => api(registerRoute, { token, form: { biometric_type: "Voice", voice_base64: clips } });
const verify = (token: string, clip: string) => api(verifyRoute, { token, form: { biometric_type: "Voice", voice_base64: clip } });

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
    expect((await api(listRoute, { token: s.access })).body).toMatchObject({ resource_array: ["Voice"], resource_dict: { Voice: "active" } });

    const same = await verify(s.access, voice.same);
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    // A url-encoded form whose client did not escape base64's '+' (they arrive as spaces): read as '+', the same answer.
    expect(voice.same).toContain("+");
    const unescaped = await SELF.fetch("http://x/backend/biometrics/verify", {
      method: "POST",
      headers: { authorization: `Bearer ${s.access}`, "content-type": "application/x-www-form-urlencoded" },
      body: `biometric_type=Voice&voice_base64=${voice.same}`,
    });
    expect(((await unescaped.json()) as { resource_dict: { score: number } }).resource_dict.score).toBe(bodyAt(same, 200).resource_dict.score);
    expect(same.body).toMatchObject({ resource_name: "Voice", is_match: true, is_voice_detected: true, resource_bool: true });
    expect(bodyAt(same, 200).resource_dict.score).toBeGreaterThanOrEqual(bodyAt(same, 200).resource_dict.threshold);

    const other = await verify(s.access, voice.other);
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ is_match: false, is_voice_detected: true, resource_bool: false, message: "The voice does not match the registered voice model" });

    // The same speaker as telephone audio (8 kHz): refused, and the answer says why the student might be (wording only).
    const pcm = parseWav(Uint8Array.from(atob(voice.same), (ch) => ch.charCodeAt(0)));
    const phone = encodeWav16([pcm.samples.filter((_x, i) => i % 2 === 0)], pcm.sampleRate / 2);
    let binary = "";
    for (const byte of phone) binary += String.fromCharCode(byte);
    const eightK = await verify(s.access, btoa(binary));
    expect(bodyAt(eightK, 200).message).toMatch(/^The voice does not match the registered voice model; the recording is sampled at 8 kHz/);

    // A browser recording (WebM/Opus) decodes in the inference Worker and holds speech.
    const webm = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Voice", src: `data:audio/webm;codecs=opus;base64,${voice.webm}` } });
    expect(webm.status, JSON.stringify(webm.body)).toBe(200);
    expect(bodyAt(webm, 200).is_voice_detected).toBe(true);
    // The types browsers write (Firefox's space, quoted codecs, a camera+microphone blob's comma), and a wrong label:
    // the decoder reads the bytes. A probe's were all 400s listing the very type sent.
    for (const type of ["audio/webm; codecs=opus", 'audio/webm;codecs="opus"', "video/webm;codecs=vp8,opus", "audio/mpeg", "AUDIO/WEBM"]) {
      const res = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Voice", src: `data:${type};base64,${voice.webm}` } });
      expect(res.status, `${type}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    // The scheme in capitals is a data: URI too (RFC 2397), not "a URL".
    {
      const res = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Voice", src: `DATA:AUDIO/WEBM;BASE64,${voice.webm}` } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const picture = await api(verifyRoute, { token: s.access, urlencoded: { biometric_type: "Voice", src: `data:image/png;base64,${voice.webm}` } });
    expect(bodyAt(picture, 400).error_details.src![0]).toMatch(/audio\/\*, video\/\*/);

    const silence = await verify(s.access, voice.silence);
    expect(silence.status).toBe(200);
    expect(silence.body).toMatchObject({ is_voice_detected: false, is_match: false, resource_bool: false, resource_dict: { score: null } });
    // Digital silence is not "noisy": no capture hint sends the student to a quieter room.
    expect(bodyAt(silence, 200).message).not.toMatch(/noisy/);
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
      const details = Object.values(expect400Shape(bodyAt(res, 400)).error_details).flat().join(" ");
      expect(details, what).toMatch(pattern);
    }
    const bad = await verify(s.access, btoa("not audio"));
    expect(bad.status).toBe(400);
    expect(bodyAt(bad, 400).bad_formatted_fields).toEqual(["voice_base64"]);
    expect(await stored(s.access)).toEqual(before);
    expect((await api(unregisterRoute, { token: s.access, json: { biometric_type: "Voice" } })).status).toBe(200);
    expect(await stored(s.access)).toEqual([]);
  });
});
