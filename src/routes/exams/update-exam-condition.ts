// POST /backend/update_exam_condition
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { AppError } from "../../lib/errors";
import { joinExam, leaveExam, startExam } from "../../services/exams/conditions";
import type { AppEnv } from "../../types";
import { examinationReply, ExamId, examNotFound } from "../exam-schemas";
import { notifyPartnerSoon } from "../partner-notify";
import { authErrors, commonErrors, jsonRequest } from "../schemas";

const ExamConditionUpdate = z
  .object({ exam_id: ExamId, condition: z.enum(["Start", "Join", "Leave"]) })
  .openapi("ExamConditionUpdate");

export const route = createRoute({
  method: "post",
  path: "/update_exam_condition",
  tags: ["UpdateExamCondition"],
  summary: "The instructor starts an examination (Start); an enrolled, verified student joins (Join) or leaves (Leave) it",
  security: [{ Bearer: [] }],
  middleware: [requireRole("INSTRUCTOR", "STUDENT"), jsonBody(4 * 1024)] as const,
  request: jsonRequest(ExamConditionUpdate),
  responses: {
    200: examinationReply("Condition applied; `resource_str` is the exam's status"),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerUpdateExamCondition = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const { exam_id, condition } = c.req.valid("json");
    const caller = c.get("caller");
    const db = dbOf(c);
    const now = c.get("now");
    const reply = (message: string, status: string) => {
      notifyPartnerSoon(c, exam_id);
      return c.json({ message, resource_name: "examination", resource_str: status }, 200);
    };
    if (condition === "Start") {
      if (caller.role !== "INSTRUCTOR") throw AppError.forbidden("Only the examination's instructor can start it");
      const { exam, changed } = await startExam(db, caller, exam_id, now);
      return reply(changed ? "Examination started successfully" : "Examination had already started", exam.status);
    }
    if (caller.role !== "STUDENT") throw AppError.forbidden("Only enrolled students can join or leave an examination");
    if (condition === "Join") {
      const { exam, changed } = await joinExam(db, caller, exam_id, now);
      return reply(changed ? "Joined the examination successfully" : "Already in the examination", exam.status);
    }
    const { exam } = await leaveExam(db, caller, exam_id, now);
    return reply("Left the examination successfully", exam.status);
  });
