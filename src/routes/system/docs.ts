// GET /backend/openapi.json (the OpenAPI 3.1 document, generated from the routes' own zod schemas,
// built once per isolate) and GET /backend/docs (Swagger UI, served from our own static assets:
// no third-party scripts).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../types";

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "TrustID Edge API",
    version: "1.0.0",
    description:
      "The TRUSTID API (under /backend) and the ProctorExam v3-compatible partner API (under /api/v3). " +
      "The partner API answers with ProctorExam's own error bodies (docs/partner-api.md). TRUSTID errors use the TRUSTID envelopes: 400 lists `missing_required_fields`, `bad_formatted_fields`, " +
      "`already_exists_fields` and `error_details`; 404 carries `resource_name` and `resource_str`; others carry `message`.",
    license: { name: "BSD-3-Clause" },
  },
} as const;

export function registerApiDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  let document: unknown;
  app.get("/backend/openapi.json", (c) => {
    document ??= finishDocument(app.getOpenAPI31Document(OPENAPI_INFO), Date.now());
    return c.json(document);
  });
  app.get("/backend/docs", (c) => {
    // Swagger UI: our own script files only; its stylesheet embeds data: images and its components set
    // inline styles. Replaces the API's `default-src 'none'` policy for this page.
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TrustID Edge API reference</title>
<link rel="stylesheet" href="/backend/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/backend/docs/assets/swagger-ui-bundle.js"></script>
<script src="/backend/docs/assets/init.js"></script>
</body>
</html>`);
  });
}

/** What the document's operations do, as the TRUSTID specification's generator names it (drf-yasg's rule). */
const ACTIONS: Record<string, string> = { get: "List", post: "Create", put: "Update", patch: "PartialUpdate", delete: "Delete" };

/**
 * An operation's id, written as the TRUSTID specification writes its own (`POST /biometrics/face_register` is
 * `biometricsFaceRegisterCreate`, `GET /instructor/list_exam` `instructorListExamList`), so that a client generated from
 * this document has the spec's method names: the path's words after the API's base (`/backend`, `/api/v3`), camelCased,
 * then the action; a GET of one record (the path ends in its id) is `Read`. Ids are unique (test/workers/system/openapi.test.ts).
 */
export function operationIdOf(method: string, path: string): string {
  const segments = path.replace(/^\/(backend|api\/v3)\//, "").split("/").filter((s) => s !== "");
  const words = segments.filter((s) => !s.startsWith("{")).flatMap((s) => s.split("_"));
  const action = method === "get" && segments.at(-1)?.startsWith("{") ? "Read" : ACTIONS[method];
  return words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join("") + action;
}

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

/** The generated document plus what the routes' schemas cannot say: operation ids, and a date example that stays ahead. */
function finishDocument(document: Document, now: number): Document {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(ACTIONS)) {
      const operation = item[method as keyof typeof item] as { operationId?: string } | undefined;
      if (operation) operation.operationId ??= operationIdOf(method, path);
    }
  }
  // add_exam's scheduled_date must lie ahead and within two years: 1 June of next year always does (a fixed example
  // went by). Reckoned when the document is built, on its first request.
  const addExam = document.components?.schemas?.AddExam as { properties?: Record<string, { example?: unknown }> } | undefined;
  if (addExam?.properties?.scheduled_date) {
    addExam.properties.scheduled_date.example = `${new Date(now).getUTCFullYear() + 1}-06-01T09:00:00Z`;
  }
  return document;
}

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";
