// Hands the handwriting and keystroke API tests real samples from ../shared/data, read here in Node (workerd
// cannot read files) and provided as small strings; nothing is copied into the repository.
// Choices (checked against the engines): MCYT writer 001 (genuine 001-01 well inside the threshold, skilled
// forgery 001-04 and writer 002 well outside); MEU-Mobile subject 2 trained on typings 1-25, tested on 26-30,
// and subject 3's first five typings as the impostor.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export type SignalSamples = {
  handwriting: { enrol: string[]; genuine: string; forgery: string; otherWriter: string };
  keystroke: { train: string; genuine: string; impostor: string };
  /** base64 clips: three enrolment WAVs of eval speaker 1688, a later one of 1688, one of 2033, a browser
   * WebM/Opus recording, and 3 s of digital silence (made here). */
  voice: { enrol: string[]; same: string; other: string; webm: string; silence: string };
};

declare module "vitest" {
  interface ProvidedContext {
    signalSamples: SignalSamples;
  }
}

/** A 16-bit mono PCM WAV of `seconds` of digital silence. */
function silentWav(seconds: number, rate = 16000): Buffer {
  const data = Buffer.alloc(seconds * rate * 2);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export default function setup(project: TestProject) {
  const hw = join("..", "shared", "data", "handwriting", "mcyt-online");
  const ks = join("..", "shared", "data", "keystroke", "meu-mobile-ksd", "data");
  const read = (...p: string[]) => readFileSync(join(...p), "utf8");
  const rows = (subject: number) => read(ks, `${subject}.csv`).trim().split(/\r?\n/);
  const voiceDir = join("..", "shared", "data", "voice", "eval");
  const clip = (speaker: string, index: number) => {
    const file = readdirSync(join(voiceDir, speaker)).filter((f) => f.endsWith(".wav")).sort()[index]!;
    return readFileSync(join(voiceDir, speaker, file)).toString("base64");
  };
  project.provide("signalSamples", {
    voice: {
      enrol: [0, 1, 2].map((i) => clip("1688", i)),
      same: clip("1688", 6),
      other: clip("2033", 7),
      webm: readFileSync(join("..", "shared", "data", "media", "speech5s.webm")).toString("base64"),
      silence: silentWav(3).toString("base64"),
    },
    handwriting: {
      enrol: [1, 2, 3, 4, 5].map((i) => read(hw, "enrollment", `001-g-0${i}.txt`)),
      genuine: read(hw, "verification", "001-01.txt"),
      forgery: read(hw, "verification", "001-04.txt"),
      otherWriter: read(hw, "enrollment", "002-g-01.txt"),
    },
    keystroke: {
      train: rows(2).slice(0, 25).join("\n"),
      genuine: rows(2).slice(25, 30).join("\n"),
      impostor: rows(3).slice(0, 5).join("\n"),
    },
  });
}
