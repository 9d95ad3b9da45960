// Builds the Worker's Hono app: middleware order, the routers, error handling and the OpenAPI document.
// Every endpoint lives in one file under routes/<area>/ named after its URL.
import { OpenAPIHono } from "@hono/zod-openapi";
import { secureHeaders } from "hono/secure-headers";
import { allowedMethods } from "./lib/allowed-methods";
import { AppError } from "./lib/errors";
import { handleError } from "./lib/handle-error";
import { limitInFlight } from "./lib/overload";
import { validationHook } from "./lib/validation";
import { requestContext } from "./middleware/request-context";
import { registerAuthRoutes } from "./routes/auth";
import { registerExamRoutes } from "./routes/exams";
import { registerInstructorRoutes } from "./routes/instructor";
import { registerMonitoringRoutes } from "./routes/monitoring";
import { registerStudentRoutes } from "./routes/student";
import { createPartnerRouter } from "./routes/partner";
import { registerBiometricsRoutes } from "./routes/biometrics";
import { registerSystemRoutes } from "./routes/system";
import { registerApiDocs } from "./routes/system/docs";
import type { AppEnv } from "./types";

// `strict: false`: TRUSTID clients call some paths with a trailing slash (`/monitoring/`), some without.
const newRouter = () => new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });

// Security headers of every Worker response (the static pages get theirs from public/_headers). The API
// answers JSON to native apps and same-origin pages: nothing in it may run, load or be framed. The one
// HTML page the Worker renders, /backend/docs, sets its own policy (routes/system/docs.ts). No CORS
// headers are sent: cross-origin browser pages cannot read any response (SECURITY.md, "CORS").
const apiSecureHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  xFrameOptions: "DENY",
  overwrite: false, // a header the route set itself (the docs page's CSP) is kept
});

export function createApp() {
  const app = newRouter();
  app.use("*", requestContext);
  app.use("*", apiSecureHeaders);
  // Answers hold tokens, personal data and sealed templates: never kept by a browser or a proxy (a probe read a
  // student's my_data back from Chromium's cache with no Authorization header). The pages' files are not Worker answers.
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  const backend = newRouter();
  backend.onError(handleError);
  // Load shedding (issue 8): beyond MAX_INFLIGHT_REQUESTS in this isolate, a fast 503 with Retry-After.
  backend.use("*", limitInFlight("requests"));
  // One line per API area; each area's index.ts registers its endpoints (one file each).
  registerAuthRoutes(backend);
  registerSystemRoutes(backend);
  registerInstructorRoutes(backend);
  registerStudentRoutes(backend);
  registerExamRoutes(backend);
  registerMonitoringRoutes(backend);
  registerBiometricsRoutes(backend);
  app.route("/backend", backend);
  app.route("/api/v3", createPartnerRouter());

  registerApiDocs(app);
  app.onError(handleError);
  app.notFound((c) => {
    // Returned, not thrown: a throw here would skip the security headers' middleware on the way out.
    const allowed = allowedMethods(app.routes, c.req.path);
    // A 405 only when another method has a route here; a path no route takes (`/list_exam//`) is a 404.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return handleError(new AppError(405, `Method "${c.req.method}" not allowed`, { kind: "message" }, { Allow: allowed.join(", ") }), c);
    }
    return handleError(AppError.notFound("endpoint", c.req.path, "No endpoint at this path"), c);
  });
  return app;
}
