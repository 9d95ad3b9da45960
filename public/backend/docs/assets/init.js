// Starts Swagger UI on the generated OpenAPI document (kept in a file so the page needs no inline script).
window.ui = SwaggerUIBundle({ url: "/backend/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
