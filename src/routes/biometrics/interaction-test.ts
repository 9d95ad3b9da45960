// POST /backend/biometrics/interaction/test: scores typing timings (one or more typings of the trained phrase)
// against the student's own keystroke model; several typings are decided on their mean distance.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decided, matchOutcome } from "../decision-context";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { dbOf } from "../../db/context";
import { requireRole } from "../../middleware/auth";
import { institutionSecurityLevel } from "../../services/security-level";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { testInteraction } from "../../services/biometrics/interaction";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, jsonRequest, notFound, ok, SecurityLevelField, tooMany } from "../schemas";
import { KeystrokeDataset, LIMITS } from "./schemas";

const Test = z.object({ testing_dataset: KeystrokeDataset }).openapi("BiometricsInteractionTest");

export const route = createRoute({
  method: "post",
  path: "/biometrics/interaction/test",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Tests typing timings against the student's keystroke (interaction) model (1:1)",
  middleware: [requireRole("STUDENT"), biometricRateLimit("verify"), jsonBody(LIMITS.interaction)] as const,
  request: jsonRequest(Test),
  responses: {
    200: ok(
      envelope({
        is_match: z.boolean(),
        resource_bool: z.boolean(),
        resource_dict: z
          .object({
            score: z.number(),
            is_match: z.boolean(),
            threshold: z.number(),
            security_level: SecurityLevelField,
            distance: z.number(),
            samples: z.number().int(),
            sample_scores: z.array(z.number()),
          })
          .openapi({
            description:
              "score in (0, 1), 0.5 = threshold; distance is the normalised distance, accepted when <= threshold, the threshold of the institution's security level (docs/keystroke.md)",
          }),
      }),
      "Test done",
    ),
    ...authErrors,
    ...tooMany,
    ...notFound("No interaction model is trained"),
    ...commonErrors,
  },
});

export const registerInteractionTest = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { testing_dataset } = c.req.valid("json");
    const level = await institutionSecurityLevel(dbOf(c), c.get("caller"));
    const v = await decided(
      c,
      { endpoint: route.path, modality: "keystroke", action: "verify", modelId: CURRENT_MODEL_IDS.Interaction, securityLevel: level, decideOn: "distance" },
      () => testInteraction(c.env, c.get("caller"), testing_dataset, level),
      (v) => matchOutcome(v, v.distance, { score: v.score, samples: v.samples }),
    );
    return c.json(
      {
        message: v.isMatch ? "The typing matches the student's interaction model" : "The typing does not match the student's interaction model",
        resource_name: "Interaction",
        is_match: v.isMatch,
        resource_bool: v.isMatch,
        resource_dict: { score: v.score, is_match: v.isMatch, threshold: v.threshold, security_level: v.level, distance: v.distance, samples: v.samples, sample_scores: v.sampleScores },
      },
      200,
    );
  });
