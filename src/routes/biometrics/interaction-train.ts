// POST /backend/biometrics/interaction/train: trains the student's keystroke model from typing timings of one
// phrase (CSV or JSON, docs/keystroke.md), replacing any previous one.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decided } from "../decision-context";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { requireRole } from "../../middleware/auth";
import { templatesUnlocked } from "../../middleware/template-lock";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { trainInteraction } from "../../services/biometrics/interaction";
import type { AppEnv } from "../../types";
import { templateChangeAuthErrors, commonErrors, envelope, jsonRequest, ok, tooMany } from "../schemas";
import { KeystrokeDataset, LIMITS } from "./schemas";

const Train = z.object({ training_dataset: KeystrokeDataset }).openapi("BiometricsInteractionTrain");

export const route = createRoute({
  method: "post",
  path: "/biometrics/interaction/train",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Trains the student's keystroke (interaction) model from 10-200 typings of one phrase",
  middleware: [requireRole("STUDENT"), templatesUnlocked, biometricRateLimit("enrol"), jsonBody(LIMITS.interaction)] as const,
  request: jsonRequest(Train),
  responses: {
    200: ok(
      envelope({
        resource_bool: z.boolean(),
        resource_dict: z.object({ samples: z.number().int(), keys: z.number().int(), version: z.number().int() }),
      }),
      "Model trained",
    ),
    ...templateChangeAuthErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerInteractionTrain = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { training_dataset } = c.req.valid("json");
    const out = await decided(
      c,
      { endpoint: route.path, modality: "keystroke", action: "register", modelId: CURRENT_MODEL_IDS.Interaction },
      () => trainInteraction(c.env, c.get("caller"), training_dataset, c.get("now")),
      (out) => ({ outcome: "accepted", templateVersion: out.version, quality: { samples: out.samples } }),
    );
    return c.json(
      {
        message: `Interaction model trained from ${out.samples} typings`,
        resource_name: "Interaction",
        resource_bool: true,
        resource_dict: { samples: out.samples, keys: out.keys, version: out.version },
      },
      200,
    );
  });
