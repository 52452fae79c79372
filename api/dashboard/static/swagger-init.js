// Swagger UI on this app's OpenAPI document. validatorUrl null: the default badge asks an
// outside validator, and no request may leave the host.
const api = document.body.dataset.api;
window.SwaggerUIBundle({
  url: `${api}/openapi.json`,
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
});
