// Redoc on /api/schema/redoc/: the schema URL comes from the page, and the request's CSP nonce
// (this script's own) is handed to Redoc for the <style> elements it writes.
const container = document.getElementById("redoc-container");
Redoc.init(container.dataset.schemaUrl, { nonce: document.currentScript.nonce }, container);
