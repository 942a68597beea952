// Starts Swagger UI on /docs from the settings the page carries as data attributes
// (kept out of the page itself so that its Content-Security-Policy allows no inline script).
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui-container");
  var config = JSON.parse(node.dataset.config || "{}");
  config.url = node.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
