// Refuses changes to a student's biometric templates (enrol, re-enrol, delete, restore from the wallet)
// while an exam they were verified for (or whose face verification an instructor overturned) is in progress (services/exams/scope.ts examHoldingTemplates). Runs
// after requireRole("STUDENT") and before the (possibly large) body is read.
import { createMiddleware } from "hono/factory";
import { dbOf } from "../db/context";
import { AppError } from "../lib/errors";
import { examHoldingTemplates } from "../services/exams/scope";
import type { AppEnv } from "../types";

/** The refusal, here and when the student's object finds a hold a racing verification set (templates/holds.ts). */
export const templatesLocked = (examId: number) =>
  AppError.forbidden(
    `Your biometric templates cannot be changed until examination ${examId} ends: you have been verified for it, or your instructor overturned a face verification of yours in it`,
  );

export const templatesUnlocked = createMiddleware<AppEnv>(async (c, next) => {
  const examId = await examHoldingTemplates(dbOf(c), c.get("caller"), c.get("now"));
  if (examId !== null) throw templatesLocked(examId);
  await next();
});
