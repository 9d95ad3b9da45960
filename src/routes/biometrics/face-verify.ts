// POST /backend/biometrics/face_verify
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { decided, matchOutcome } from "../decision-context";
import { insertDecision } from "../../services/decisions/record";
import { CURRENT_MODEL_IDS } from "../../templates/model-ids";
import { dbOf } from "../../db/context";
import { AppError } from "../../lib/errors";
import { requireRole } from "../../middleware/auth";
import { biometricRateLimit } from "../../middleware/rate-limit";
import { jsonBody } from "../../middleware/body";
import { faceVerdictMessage, imageBytesFromField, verifyFaceImage } from "../../services/biometrics/face";
import { holdFor, markFaceVerified } from "../../services/exams/verification";
import { studentEnrolment } from "../../services/exams/scope";
import { notifyPartnerSoon } from "../partner-notify";
import type { AppEnv } from "../../types";
import { authErrors, commonErrors, envelope, jsonRequest, notFound, ok, SecurityLevelField, tooMany } from "../schemas";
import { ImageField, LIMITS } from "./schemas";
import { ExamId } from "../exam-schemas";
import { limitInFlight } from "../../lib/overload";

const FaceVerify = z
  .object({
    image: ImageField,
    exam_id: ExamId, // the one exam id rule ("Expected an exam id"; a probe's "abc" got zod's own wording)
    operating_sys: z.string().max(64).optional(),
  })
  .openapi("BiometricsFaceVerify");

export const route = createRoute({
  method: "post",
  path: "/biometrics/face_verify",
  tags: ["Biometrics"],
  security: [{ Bearer: [] }],
  summary: "Verifies a picture against the student's own face model (1:1)",
  description:
    "A match with a live face marks the student Verified for the exam. Quality problems (no face, several faces, face too small, " +
    "failed liveness, undecodable picture) are 400s naming the problem, not a mismatch; so is an exam that has completed.",
  middleware: [requireRole("STUDENT"), biometricRateLimit("verify"), limitInFlight("inference"), jsonBody(LIMITS.faceVerify)] as const,
  request: jsonRequest(FaceVerify),
  responses: {
    200: ok(
      envelope({
        is_match: z.boolean(),
        resource_bool: z.boolean(),
        extra_details: z.string(),
        resource_dict: z
          .object({ score: z.number(), threshold: z.number(), security_level: SecurityLevelField, is_match: z.boolean(), liveness: z.number() })
          .openapi({ description: "Cosine similarity to the student's face template, the threshold of the exam's security level (docs/face.md) and the liveness score" }),
      }),
      "Verification done; `is_match` says whether it matched",
    ),
    ...authErrors,
    ...tooMany,
    ...notFound("Exam not found (or the student is not enrolled in it), or no face model registered"),
    ...commonErrors,
  },
});

export const registerFaceVerify = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { image, exam_id, operating_sys } = c.req.valid("json");
    const caller = c.get("caller");
    const db = dbOf(c);
    const bytes = imageBytesFromField("image", image);
    const { exam, securityLevel, enrolment } = await studentEnrolment(db, caller, exam_id, c.get("now")); // 404 before the costly part
    // The exam's record is final once it has completed: nobody becomes verified for it afterwards.
    if (exam.status === "Completed") throw AppError.badField("exam_id", "This examination has completed.");
    const v = await decided(
      c,
      { endpoint: route.path, modality: "face", action: "verify", modelId: CURRENT_MODEL_IDS.Face, securityLevel, decideOn: "similarity", examId: exam_id, operatingSys: operating_sys },
      () => verifyFaceImage(c.env, caller, "image", bytes, securityLevel, holdFor(exam, c.get("now"))),
      (v) => matchOutcome(v, v.score, { liveness: v.liveness }),
      async (row, v) => {
        if (!v.isMatch) return insertDecision(db, row);
        await markFaceVerified(c.env, db, caller, exam_id, c.get("now"), [row]);
      },
    );
    // Only a match that verifies the student changes their partner session's status (a student already
    // verified stays so): the partner bookkeeping's round trips are not spent on a repeated verification.
    if (v.isMatch && enrolment.verificationStatus !== "Verified") notifyPartnerSoon(c, exam_id);
    return c.json(
      {
        message: faceVerdictMessage(v),
        resource_name: "face_verification",
        is_match: v.isMatch,
        resource_bool: v.isMatch,
        extra_details: `similarity ${v.score.toFixed(3)} (level '${v.level}' needs at least ${v.threshold}); liveness ${v.liveness.toFixed(2)}`,
        resource_dict: { score: v.score, threshold: v.threshold, security_level: v.level, is_match: v.isMatch, liveness: v.liveness },
      },
      200,
    );
  });
