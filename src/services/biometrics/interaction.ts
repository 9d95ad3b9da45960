// Keystroke interaction (/biometrics/interaction/train and /test): the dataset (CSV or JSON, docs/keystroke.md)
// is parsed and, for train, turned into a model here; the model is stored sealed in the student's Durable Object
// and the test samples are scored there. Bad datasets are 400s before the object is called.
import {
  BiometricInputError,
  KEYSTROKE_MIN_TRAINING_SAMPLES,
  parseKeystrokeDataset,
  trainKeystrokeModel,
  type KeystrokeSample,
} from "../../biometrics/keystroke";
import type { Bindings } from "../../env";
import { AppError } from "../../lib/errors";
import type { Caller } from "../../types";
import type { SecurityLevel } from "../../biometrics/security-level";
import { ownerOf, templatesOf } from "../../templates/client";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { decisionOf } from "./handwriting";

/** Typings per request: training needs >= 10; the leave-one-out training cost grows with the square of this. */
export const INTERACTION_LIMITS = { trainSamples: 200, testSamples: 100 } as const;

const invalid = (field: string, detail: string, message: string) => AppError.validation({ badFormatted: [field], details: { [field]: [detail] } }, message);

function parse(field: string, dataset: unknown, maxSamples: number): KeystrokeSample[] {
  try {
    return parseKeystrokeDataset(dataset, { field, maxSamples });
  } catch (e) {
    if (e instanceof BiometricInputError) throw invalid(field, e.message, "The typing dataset is not valid");
    throw e;
  }
}

export type InteractionTraining = { samples: number; version: number; keys: number };

export async function trainInteraction(env: Bindings, caller: Caller, dataset: unknown, now: number): Promise<InteractionTraining> {
  const field = "training_dataset";
  const samples = parse(field, dataset, INTERACTION_LIMITS.trainSamples);
  let model;
  try {
    model = trainKeystrokeModel(samples, { field });
  } catch (e) {
    if (e instanceof BiometricInputError) {
      // The headline says what is wrong: "at least 10 typings" read oddly above 21 typings refused as copies (a probe).
      const headline = e.message.startsWith("repeated_sample:")
        ? "The typing dataset holds copies of the same typing"
        : `The typing dataset cannot be trained on (at least ${KEYSTROKE_MIN_TRAINING_SAMPLES} typings of one phrase are needed)`;
      throw invalid(field, e.message, headline);
    }
    throw e;
  }
  const owner = ownerOf(caller);
  const r = await templatesOf(env, owner).enrolModel(owner, "Interaction", CURRENT_MODEL_IDS.Interaction, model, samples.length, now);
  return { samples: r.samples, version: r.version, keys: model.layout.keys };
}

export type InteractionTest = {
  isMatch: boolean;
  score: number;
  distance: number;
  threshold: number;
  level: SecurityLevel;
  templateVersion: number;
  samples: number;
  sampleScores: number[];
};

export async function testInteraction(env: Bindings, caller: Caller, dataset: unknown, level: SecurityLevel): Promise<InteractionTest> {
  const field = "testing_dataset";
  const samples = parse(field, dataset, INTERACTION_LIMITS.testSamples);
  const owner = ownerOf(caller);
  const v = decisionOf("Interaction", field, await templatesOf(env, owner).testInteraction(owner, samples, CURRENT_MODEL_IDS.Interaction, field, level), "call interaction/train");
  return {
    isMatch: v.status === "match",
    score: v.score,
    distance: v.distance,
    threshold: v.threshold,
    level: v.level,
    templateVersion: v.templateVersion,
    samples: samples.length,
    sampleScores: v.sampleScores ?? [],
  };
}
