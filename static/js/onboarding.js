// The tenant onboarding form: the admin-consent link follows the IDs as they are typed, and
// "Test connection" runs without leaving the page (the typed secret stays in its field) while
// a live indicator counts the seconds. The server renders the report; this only swaps it in.
import { translator } from "./pagetext.js";

const form = document.getElementById("tenant-form");
const $ = (id) => document.getElementById(id);

const t = translator("onboarding-text");

function updateConsent() {
  const tenant = form.elements.tenant_id.value.trim();
  const client = form.elements.client_id.value.trim();
  const ready = Boolean(tenant && client); // their format is the server's to judge
  const link = $("consent-link");
  link.hidden = !ready;
  $("consent-missing").hidden = ready;
  if (ready) {
    link.href = $("consent").dataset.template
      .replace("{tenant}", encodeURIComponent(tenant))
      .replace("{client}", encodeURIComponent(client));
  }
}

// Show `nodes` as the report, keeping the indicator (it belongs to this page).
function showReport(nodes) {
  const report = $("connection-report");
  for (const node of [...report.children]) {
    if (node.id !== "connection-testing") node.remove();
  }
  report.append(...nodes.filter((node) => node.id !== "connection-testing"));
}

function reportOf(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  return [...page.getElementById("connection-report").children];
}

function problem(text) {
  const box = document.createElement("div");
  box.className = "problems";
  box.textContent = text;
  return box;
}

async function testConnection(event) {
  event.preventDefault();
  const button = $("test-connection");
  const indicator = $("connection-testing");
  const started = Date.now();
  const tick = () => {
    $("connection-seconds").textContent = t("seconds", { seconds: Math.floor((Date.now() - started) / 1000) });
  };
  showReport([]);
  tick();
  const timer = setInterval(tick, 1000);
  indicator.hidden = false;
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  const body = new FormData(form);
  body.set("action", "test");
  try {
    // (form.action would be the buttons named "action": the form posts to its own page.)
    const response = await fetch(window.location.href, {
      method: "POST", body, credentials: "same-origin", headers: { Accept: "text/html" },
    });
    showReport(response.ok ? reportOf(await response.text())
      : [problem(t("failed", { status: response.status }))]);
  } catch {
    showReport([problem(t("failed", { status: "—" }))]);
  } finally {
    clearInterval(timer);
    indicator.hidden = true;
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

form.elements.tenant_id.addEventListener("input", updateConsent);
form.elements.client_id.addEventListener("input", updateConsent);
$("test-connection").addEventListener("click", testConnection);
