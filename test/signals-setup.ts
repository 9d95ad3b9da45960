// Hands the handwriting and keystroke API tests real samples from ../shared/data, read here in Node (workerd
// cannot read files) and provided as small strings; nothing is copied into the repository.
// Choices (checked against the engines): MCYT writer 001 (genuine 001-01 well inside the threshold, skilled
// forgery 001-04 and writer 002 well outside); MEU-Mobile subject 2 trained on typings 1-25, tested on 26-30,
// and subject 3's first five typings as the impostor.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export type SignalSamples = {
  handwriting: { enrol: string[]; genuine: string; forgery: string; otherWriter: string };
  keystroke: { train: string; genuine: string; impostor: string };
};

declare module "vitest" {
  interface ProvidedContext {
    signalSamples: SignalSamples;
  }
}

export default function setup(project: TestProject) {
  const hw = join("..", "shared", "data", "handwriting", "mcyt-online");
  const ks = join("..", "shared", "data", "keystroke", "meu-mobile-ksd", "data");
  const read = (...p: string[]) => readFileSync(join(...p), "utf8");
  const rows = (subject: number) => read(ks, `${subject}.csv`).trim().split(/\r?\n/);
  project.provide("signalSamples", {
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
