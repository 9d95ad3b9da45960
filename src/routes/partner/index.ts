// The ProctorExam v3-compatible partner API, mounted at /api/v3 by app.ts. Its own router: its own
// authentication (partner-auth) and its own error bodies (errors.ts), never the TRUSTID envelopes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { type PartnerEnv, partnerDb } from "../../middleware/partner-env";
import { PartnerError } from "../../services/partner/errors";
import { registerAddStudent } from "./add-student";
import { registerDeleteStudent } from "./delete-student";
import { handlePartnerError } from "./errors";
import { limitInFlight } from "../../lib/overload";
import { registerExamsCreate } from "./exams-create";
import { registerExamsDestroy } from "./exams-destroy";
import { registerExamsIndex } from "./exams-index";
import { registerExamsShow } from "./exams-show";
import { registerExamsUpdate } from "./exams-update";
import { registerIndexStudents } from "./index-students";
import { registerSessionsCreate } from "./sessions-create";
import { registerSessionsDestroy } from "./sessions-destroy";
import { registerSessionsIndex } from "./sessions-index";
import { registerSessionsShow } from "./sessions-show";
import { registerSessionsUpdate } from "./sessions-update";
import { registerShowStudent } from "./show-student";
import { allowedMethods } from "../../lib/allowed-methods";

export function createPartnerRouter() {
  const app = new OpenAPIHono<PartnerEnv>({ strict: false });
  app.onError(handlePartnerError);
  app.use("*", limitInFlight("requests")); // the same per-isolate budget as /backend (lib/overload.ts)
  app.openAPIRegistry.registerComponent("securitySchemes", "PartnerToken", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`Token token=<api token>`, with `Accept: application/vnd.procwise.v3` and signed parameters (docs/partner-api.md)",
  });
  registerExamsIndex(app);
  registerExamsCreate(app);
  registerExamsShow(app);
  registerExamsUpdate(app);
  registerExamsDestroy(app);
  registerSessionsIndex(app);
  registerSessionsCreate(app);
  registerSessionsShow(app);
  registerSessionsUpdate(app);
  registerSessionsDestroy(app);
  registerAddStudent(app);
  registerIndexStudents(app);
  registerShowStudent(app);
  registerDeleteStudent(app);
  // Anything else under /api/v3 answers in the partner API's shape too: a 404, as ProctorExam's router answers an
  // unrouted method (partner clients expect it); only a browser's preflight (OPTIONS) at a routed path is a 405 naming
  // the methods, as SECURITY.md "CORS" says (it was a 404).
  app.all("*", (c) => {
    const allowed = c.req.method === "OPTIONS" ? allowedMethods(app.routes, c.req.path.replace(/^\/api\/v3/, "") || "/") : [];
    if (allowed.length > 0) {
      const res = c.json({ error: `Method ${c.req.method} not allowed` }, 405);
      res.headers.set("Allow", allowed.join(", "));
      return res;
    }
    throw new PartnerError(404, "Not found");
  });
  return app;
}

