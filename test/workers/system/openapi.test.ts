// Keeps the OpenAPI document and the router in step: every API route is documented, every documented
// operation exists, and the document is what /backend/openapi.json serves.
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { raw } from "../api";

/** What these tests read of the document /backend/openapi.json serves (no route defines that path). */
type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
const openApiDocument = async () => (await raw("/backend/openapi.json")).body as OpenApiDocument;

const NOT_API = new Set(["/backend/openapi.json", "/backend/docs"]);
const toOpenApiPath = (p: string) => p.replace(/\/+$/, "").replace(/:([^/]+)/g, "{$1}");

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and documents exactly the routes the app serves", async () => {
    const res = await raw("/backend/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body as OpenApiDocument;
    expect(doc.openapi).toBe("3.1.0");

    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = new Set<string>();
    for (const r of createApp().routes) {
      if (r.method === "ALL" || r.path.endsWith("*") || NOT_API.has(r.path)) continue;
      served.add(`${r.method} ${toOpenApiPath(r.path)}`);
    }
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it("documents the error envelopes on every operation", async () => {
    const doc = await openApiDocument();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        // TRUSTID routes document its envelopes; partner routes ProctorExam's 403 and 422.
        const expected = path.startsWith("/api/v3") ? ["403", "422"] : ["400", "500"];
        for (const status of expected) {
          expect(op.responses[status], `${method} ${path} documents ${status}`).toBeDefined();
        }
      }
    }
  });

  it("serves every documented operation (no 404/405 for a documented path and method)", async () => {
    const doc = await openApiDocument();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const concrete = path.replace(/\{[^}]+\}/g, "1");
        const res = await raw(concrete, { method: method.toUpperCase(), headers: { "content-type": "application/json" }, body: method === "get" ? undefined : "{}" });
        // A 404 about a missing record is fine here; a 404 for the endpoint itself or a 405 is not.
        expect(res.status, `${method} ${path}`).not.toBe(405);
        expect(res.status === 404 && (res.body as { resource_name?: string }).resource_name === "endpoint", `${method} ${path} is not routed`).toBe(false);
      }
    }
  });

  it("serves an API reference page that loads only our own assets", async () => {
    const res = await raw("/backend/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const scripts = [...String(res.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toMatch(/^\/backend\/docs\/assets\//);
  });
});
