// POST /backend/biometrics/face_check
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireRole } from "../../middleware/auth";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { limitInFlight } from "../../lib/overload";
import { checkFaceImage, imageBytesFromField } from "../../services/biometrics/face";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, jsonRequest, ok, tooMany } from "../schemas";
import { ImageField, LIMITS } from "./schemas";

const FaceCheck = z.object({ image: ImageField }).openapi("BiometricsFaceCheck");

export const route = createRoute({
  method: "post",
  path: "/biometrics/face_check",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Checks that a picture would do for registration or verification (one face, large enough, live); compares it with nothing and records nothing",
  description:
    "For capture pages (the enrolment page checks each picture before registering them): the same quality checks face_register and face_verify make, " +
    "answered as they answer them (400 `no_face`, `multiple_faces`, `face_too_small`, `liveness_failed`, `undecodable`...). It decides nothing about who is in " +
    "the picture, so unlike /biometrics/verify it writes no decision record. Counts against the student's verification rate limit.",
  middleware: [requireRole("STUDENT"), biometricRateLimit("verify"), limitInFlight("inference"), jsonBody(LIMITS.faceVerify)] as const,
  request: jsonRequest(FaceCheck),
  responses: {
    200: ok(
      envelope({
        resource_bool: z.boolean(),
        resource_dict: z.object({
          faces: z.number(),
          liveness: z.number(),
          blurred: z.boolean().openapi({ description: "The face looks blurred: a likely cause of later refusals (never refused for it here)" }),
          compressed: z.boolean().openapi({ description: "The picture looks heavily compressed (blocky JPEG): a likely cause of later refusals (never refused for it here)" }),
        }),
      }),
      "The picture would do",
    ),
    ...authErrors,
    ...tooMany,
    ...commonErrors,
  },
});

export const registerFaceCheck = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { image } = c.req.valid("json");
    const r = await checkFaceImage(c.env, c.get("caller"), "image", imageBytesFromField("image", image));
    return c.json(
      {
        message: r.blurred
          ? "The picture would do, but the face looks blurred: hold the camera still and make sure your face is in focus"
          : r.compressed
            ? "The picture would do, but it looks heavily compressed (blocky JPEG): send pictures at a higher quality"
            : "The picture would do",
        resource_name: "face_check",
        resource_bool: true,
        resource_dict: r,
      },
      200,
    );
  });
