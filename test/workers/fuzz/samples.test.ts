// Truncated and bit-flipped versions of real valid samples (pictures, voice clips, pen trajectories, typing
// timings from ../shared/data, handed over by test/inference-setup.ts and test/signals-setup.ts) sent to
// every endpoint that takes them, for a student enrolled in all four modalities and sitting an exam (and, for the
// register endpoints, whose templates are locked during an exam, a student in no exam, so that the samples reach
// the decoders there too).
// The property: never a 500, always the documented envelope, nothing stored on refusal. Pictures run the
// real face models, so the face property gets few runs by default.
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { route as faceRegisterRoute } from "../../../src/routes/biometrics/face-register";
import { route as trainRoute } from "../../../src/routes/biometrics/interaction-train";
import { route as registerRoute } from "../../../src/routes/biometrics/register";
import { api } from "../api";
import { newSession } from "../helpers";
import { ownerOf, templatesOf } from "../biometrics/fixtures";
import type { Doc } from "./schema-arbitraries";
import { checkTrustid, fuzz, openApiDocument, runs, send, watchUnexpectedErrors } from "./support";
import { encodeBody, ORIGIN, requestInit, type Body } from "./trustid-requests";
import { makeWorld, expectUnchanged, settled, visibleState, type World } from "./world";

let doc: Doc;
let world: World;
/** A student in no exam: its templates are not locked, so register requests reach the sample decoders. */
let free: { access: string };
const errors = watchUnexpectedErrors();
const images = inject("faceImages");
const samples = inject("signalSamples");
const enc = new TextEncoder();

const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Ways a file goes bad on the way: cut short, bits flipped, a range zeroed, a chunk repeated, junk inserted, the header swapped. */
const mutated = (original: Uint8Array): fc.Arbitrary<{ how: string; bytes: Uint8Array }> =>
  fc.oneof(
    fc.integer({ min: 0, max: Math.max(0, original.length - 1) }).map((n) => ({ how: `cut at ${n}`, bytes: original.slice(0, n) })),
    fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 16 }).map((flips) => {
      const b = original.slice();
      for (const [at, bit] of flips) b[at]! ^= 1 << bit;
      return { how: `${flips.length} bits flipped (first at ${flips[0]![0]})`, bytes: b };
    }),
    fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 4096 })).map(([at, n]) => {
      const b = original.slice();
      b.fill(0, at, at + n);
      return { how: `${n} bytes zeroed at ${at}`, bytes: b };
    }),
    fc.nat({ max: original.length - 1 }).map((at) => ({ how: `chunk repeated at ${at}`, bytes: new Uint8Array([...original.subarray(0, at), ...original.subarray(at, at + 2048), ...original.subarray(at)]) })),
    fc.tuple(fc.nat({ max: original.length }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, junk]) => ({
      how: `${junk.length} junk bytes at ${at}`,
      bytes: new Uint8Array([...original.subarray(0, at), ...junk, ...original.subarray(at)]),
    })),
    fc.constantFrom("\x89PNG\r\n\x1a\n", "\xff\xd8\xff\xe0", "RIFF\x00\x00\x00\x00WAVE", "OggS", "\x1aE\xdf\xa3", "GIF89a").map((magic) => {
      const b = original.slice();
      b.set(Uint8Array.from(magic, (c) => c.charCodeAt(0)).subarray(0, b.length));
      return { how: `header ${JSON.stringify(magic)}`, bytes: b };
    }),
  );

/** How the bytes travel: base64, a data: URI (with the right or a wrong type), or base64 that is itself damaged. */
const carried = (bytes: Uint8Array, mime: string): fc.Arbitrary<string> => {
  const b64 = toBase64(bytes);
  return fc.oneof(
    { arbitrary: fc.constant(b64), weight: 4 },
    fc.constantFrom(`data:${mime};base64,${b64}`, `data:text/plain;base64,${b64}`, `data:;base64,${b64}`, `data:${mime},${b64}`),
    fc.constantFrom(b64.replace(/=+$/, ""), b64.replace(/\+/g, "-").replace(/\//g, "_"), `${b64.slice(0, 100)}!*${b64.slice(100)}`, ` ${b64}\n`, b64.slice(1)),
  );
};

const operation = (method: string, path: string) => doc.paths[path]![method]!;

/** The free student's templates, wallet copies and handwriting signatures being collected. */
async function freeState(): Promise<string> {
  const templates = templatesOf(free.access);
  const owner = ownerOf(free.access);
  const sessions = await runInDurableObject(templates, async (_o, state) =>
    state.storage.sql.exec("SELECT model_id, updated_at, hex(ciphertext) AS c FROM enrolment_sessions").toArray(),
  );
  return JSON.stringify([await templates.list(owner, {}), await templates.walletVersions(owner), sessions]);
}

/** Register requests go to the free student, everything else to the one sitting the exam. */
async function sendChecked(label: string, path: string, body: Body) {
  const o = { method: "POST", path, op: operation("post", path) };
  const toFree = /\/(face_)?register$|\/interaction\/train$/.test(path);
  const state = async () => (await visibleState(world, true)) + (toFree ? await freeState() : "");
  const before = await settled(state);
  const answer = await send(`${ORIGIN}${path}`, requestInit(o, toFree ? free.access : world.student.access, encodeBody(body)));
  checkTrustid(`${path} ${label}`, answer, o.op);
  expect(errors.take(), "unexpected errors logged").toEqual([]);
  if (answer.status >= 300) expectUnchanged(before, await state(), `${path} ${label} ${answer.status}`);
  return answer;
}

const form = (fields: [string, string][], multipart: boolean): Body => ({ kind: "form", fields, multipart });

/** Face, Voice, Handwriting and keystroke templates for the fuzzed student. */
async function enrolEveryModality(student: { access: string }) {
  const token = student.access;
  const enrolled = await Promise.all([
    api(faceRegisterRoute, { token, json: { image: images.obama } }),
    api(registerRoute, { token, urlencoded: { biometric_type: "Voice", voice_base64: samples.voice.enrol } }),
    api(registerRoute, { token, urlencoded: { biometric_type: "Handwriting", voice_base64: btoa(JSON.stringify(samples.handwriting.enrol)) } }),
    api(trainRoute, { token, json: { training_dataset: samples.keystroke.train } }),
  ]);
  for (const e of enrolled) if (e.status >= 300) throw new Error(`enrolment failed: ${e.status} ${JSON.stringify(e.body)}`);
}

beforeAll(async () => {
  doc = await openApiDocument();
  // Enrol every modality first (before the exam starts: templates are locked during it), so that
  // verification reaches the comparison with the template.
  world = await makeWorld({ beforeExam: enrolEveryModality });
  free = await newSession("STUDENT");
  await enrolEveryModality(free);
}, 300_000);
afterAll(() => errors.restore());

describe("mutated real samples", () => {
  it("pictures: face_verify, monitoring_face(_oral), face_register, identification, register and verify", async () => {
    const pictures = ["obama1", "biden", "group", "gradient", "obamaWebp640"].filter((k) => images[k]).map((k) => fromBase64(images[k]!));
    const picture = fc.constantFrom(...pictures).chain(mutated).chain((m) => carried(m.bytes, "image/jpeg").map((text) => ({ how: m.how, text })));
    const target = fc.constantFrom("face_verify", "monitoring_face", "monitoring_face_oral", "face_register", "identification", "register", "verify");
    await fuzz(
      "face samples",
      fc.asyncProperty(picture, target, fc.boolean(), async ({ how, text }, to, multipart) => {
        const exam_id = world.examId;
        const label = `[${how}]`;
        if (to === "register" || to === "verify") return void (await sendChecked(label, `/backend/biometrics/${to}`, form([["biometric_type", "Face"], ["voice_base64", text]], multipart)));
        if (to === "identification") return void (await sendChecked(label, "/backend/student/identification", { kind: "json", value: { exam_id, identification_result: text } }));
        const value = to === "face_register" ? { image: text } : to === "monitoring_face_oral" ? { image: text, exam_id, ip_address: "192.0.2.1", running_processes: ["a.exe"] } : { image: text, exam_id };
        await sendChecked(label, `/backend/biometrics/${to}`, { kind: "json", value });
      }),
      runs(6),
      10_000,
    );
  }, 600_000);

  it("voice clips: verify, monitoring and register (WAV, WebM/Opus, silence)", async () => {
    const clips = [samples.voice.same, samples.voice.other, samples.voice.webm, samples.voice.silence].map(fromBase64);
    const clip = fc.constantFrom(...clips).chain(mutated).chain((m) => carried(m.bytes, "audio/wav").map((text) => ({ how: m.how, text })));
    const target = fc.constantFrom("verify", "monitoring", "register");
    await fuzz(
      "voice samples",
      fc.asyncProperty(clip, target, fc.boolean(), async ({ how, text }, to, multipart) => {
        const fields: [string, string][] =
          to === "monitoring"
            ? [["voice_base64", text], ["running_processes", "chrome.exe,AnyDesk.exe"], ["exam_id", String(world.examId)]]
            : [["biometric_type", "Voice"], ["voice_base64", text]];
        if (to === "register") fields.push(["voice_base64", samples.voice.enrol[0]!]);
        await sendChecked(`[${how}]`, `/backend/biometrics/${to}`, form(fields, multipart));
      }),
      runs(10),
      8_000,
    );
  }, 600_000);

  it("pen trajectories: verify and register (the data's text rows and JSON points)", async () => {
    const texts = [samples.handwriting.genuine, samples.handwriting.forgery, samples.handwriting.otherWriter];
    const asPoints = (t: string) => JSON.stringify(t.trim().split(/\r?\n/).map((row) => row.trim().split(/\s+/).map(Number)));
    const signature = fc
      .constantFrom(...texts)
      .chain((t) => fc.oneof(fc.constant(t), fc.constant(asPoints(t))))
      .chain((t) => mutated(enc.encode(t)))
      .map((m) => ({ how: m.how, text: new TextDecoder().decode(m.bytes) }));
    await fuzz(
      "handwriting samples",
      fc.asyncProperty(signature, fc.boolean(), fc.boolean(), fc.boolean(), async ({ how, text }, register, multipart, alone) => {
        // Register: the mutated signature alone (collected into an enrolment) or among good ones in a JSON array.
        const payload =
          register && !alone ? btoa(unescape(encodeURIComponent(JSON.stringify([text, ...samples.handwriting.enrol.slice(0, 3)])))) : toBase64(enc.encode(text));
        await sendChecked(`[${how}]`, `/backend/biometrics/${register ? "register" : "verify"}`, form([["biometric_type", "Handwriting"], ["voice_base64", payload]], multipart));
      }),
      runs(10),
      5_000,
    );
  }, 600_000);

  it("typing timings: interaction/test and interaction/train (CSV text, JSON text, JSON value)", async () => {
    const csvs = [samples.keystroke.genuine, samples.keystroke.impostor, samples.keystroke.train];
    const dataset = fc
      .constantFrom(...csvs)
      .chain((t) => mutated(enc.encode(t)))
      .map((m) => ({ how: m.how, text: new TextDecoder().decode(m.bytes) }))
      .chain(({ how, text }) =>
        fc.constantFrom<[string, unknown]>([how, text], [`${how} as JSON rows`, text.split("\n").map((r) => r.split(","))], [`${how} as JSON text`, JSON.stringify(text.split("\n"))]),
      );
    await fuzz(
      "keystroke samples",
      fc.asyncProperty(dataset, fc.boolean(), async ([how, value], train) => {
        const body: Body = { kind: "json", value: train ? { training_dataset: value } : { testing_dataset: value } };
        await sendChecked(`[${how}]`, `/backend/biometrics/interaction/${train ? "train" : "test"}`, body);
      }),
      runs(10),
      5_000,
    );
  }, 600_000);
});
