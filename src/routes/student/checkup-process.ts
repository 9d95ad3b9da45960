// POST /backend/student/checkup_process
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/context";
import { jsonBody } from "../../middleware/body";
import { requireRole } from "../../middleware/auth";
import { checkupProcesses } from "../../services/exams";
import { parseProcessList } from "../../services/process-policy";
import type { AppEnv } from "../../types";
import { ExamId, examNotFound, ProcessList } from "../exam-schemas";
import { authErrors, commonErrors, envelope, jsonRequest, ok } from "../schemas";

const StudentCheckupProcess = z
  .object({
    running_processes: ProcessList,
    exam_id: ExamId.optional().openapi({
      description:
        "When given, the exam's own patterns (and exemptions from the default list) apply besides the institution's " +
        "(the student must be enrolled)",
    }),
  })
  .openapi("StudentCheckupProcess");

export const route = createRoute({
  method: "post",
  path: "/student/checkup_process",
  tags: ["Student"],
  summary: "Returns which of the submitted running processes the policy forbids",
  description:
    "The policy: a default list of remote-desktop, screen-capture and virtual-camera tools (docs/exams.md), unless " +
    "the institution or the exam exempts names from it (`!pattern`) or turns it off (`!*`), plus the institution's " +
    "and the exam's own patterns.",
  security: [{ Bearer: [] }],
  middleware: [requireRole("STUDENT"), jsonBody(256 * 1024)] as const,
  request: jsonRequest(StudentCheckupProcess),
  responses: {
    200: ok(
      envelope({ resource_array: z.array(z.string()), resource_bool: z.boolean() }),
      "`resource_array`: the forbidden ones among those submitted (as submitted); `resource_bool`: true when none is forbidden",
    ),
    ...examNotFound,
    ...authErrors,
    ...commonErrors,
  },
});

export const registerCheckupProcess = (app: OpenAPIHono<AppEnv>) =>
  app.openapi(route, async (c) => {
    const b = c.req.valid("json");
    const processes = parseProcessList(b.running_processes);
    const forbidden = await checkupProcesses(dbOf(c), c.get("caller"), { examId: b.exam_id, processes }, c.get("now"));
    return c.json(
      {
        message: forbidden.length ? "Some running processes are not allowed; close them" : "No forbidden process is running",
        resource_name: "process",
        resource_array: forbidden,
        resource_bool: forbidden.length === 0,
      },
      200,
    );
  });
