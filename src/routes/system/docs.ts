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
    document ??= app.getOpenAPI31Document(OPENAPI_INFO);
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

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";
