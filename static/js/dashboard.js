// The live dashboard (docs/monitoring.md): draws the snapshot, then applies each tick.
import { AlertsPanel } from "./dashboard/alerts.js";
import { Charts } from "./dashboard/charts.js";
import { fromHistory, tickRows } from "./dashboard/columns.js";
import { renderHealth } from "./dashboard/health.js";
import { renderRoutes } from "./dashboard/routes.js";
import { openSocket } from "./dashboard/socket.js";
import { Status } from "./dashboard/status.js";
import { renderTenants } from "./dashboard/tenants.js";

const HOUR = 3600;
const root = document.getElementById("dashboard");
const element = (id) => document.getElementById(id);
const charts = new Charts(root);
const status = new Status(document);
const alerts = new AlertsPanel(element("alerts"));
// hours: the charts' window; data: its {metrics, requests} Columns; loads: counts range requests;
// skew: server clock minus this browser's, so a wrong desktop clock cannot push points off the chart.
const page = { interval: 30, hours: 1, data: null, loads: 0, skew: 0 };

function timeWindow() {
  const until = Date.now() / 1000 + page.skew;
  return [until - page.hours * HOUR, until];
}

function trimmed() {
  const [since, until] = timeWindow();
  page.data.metrics.trim(since);
  page.data.requests.trim(since);
  return [since, until];
}

function drawCharts() {
  charts.draw(page.data, ...trimmed());
}

function showTenants(tenants) {
  renderTenants(element("tenants"), element("tenants-empty"), element("tenant-tile"), tenants);
}

function showLatest(tick) {
  renderHealth(element("health"), tick.health ?? []);
  renderRoutes(element("routes"), tick.requests?.routes);
  alerts.update(tick.alerts ?? null);
  status.updatedAt(tick.t, page.interval);
  element("waiting").hidden = true;
}

async function loadRange(hours) {
  const load = ++page.loads;
  const error = element("range-error");
  try {
    const response = await fetch(`${root.dataset.history}?hours=${hours}`, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const history = await response.json();
    if (load !== page.loads) return; // a later choice (or snapshot) has already drawn
    page.data = fromHistory(history, page.interval);
    error.hidden = true;
  } catch {
    if (load !== page.loads) return;
    error.hidden = false;
  }
  if (page.data) drawCharts();
}

function onSnapshot(snapshot) {
  page.interval = snapshot.interval;
  element("waiting").hidden = snapshot.latest != null;
  if (snapshot.latest) showLatest(snapshot.latest);
  showTenants(snapshot.tenants);
  if (page.hours === 1) {
    page.loads += 1; // a range request still in flight must not overwrite this
    page.data = fromHistory(snapshot.history, page.interval);
    drawCharts();
  } else {
    loadRange(page.hours); // the snapshot holds one hour: refetch to fill what was missed
  }
}

function onTick(tick) {
  page.skew = tick.t - Date.now() / 1000;
  showLatest(tick);
  if (tick.tenants) showTenants(tick.tenants);
  if (!page.data) return;
  const appended = {};
  let broke = false;
  for (const [source, row] of Object.entries(tickRows(tick, page.interval))) {
    const columns = page.data[source];
    // The snapshot or a fetched history may already hold this tick.
    if (row.t > columns.lastTime() + page.interval / 2) {
      broke = columns.appendAfter(row) || broke;
      appended[source] = row;
    }
  }
  // A break adds two points to a chart, which a full draw shows more simply than extendTraces.
  if (broke) drawCharts();
  else charts.extend(appended, page.data, ...trimmed());
}

function chooseRange(button) {
  page.hours = Number(button.dataset.hours);
  for (const other of root.querySelectorAll("[data-hours]")) {
    other.setAttribute("aria-pressed", String(other === button));
  }
  loadRange(page.hours);
}

async function stillSignedIn() {
  try {
    const response = await fetch(root.dataset.probe, { method: "HEAD", credentials: "same-origin", cache: "no-store" });
    return response.status !== 401 && response.status !== 403;
  } catch {
    return true; // the server is unreachable, which says nothing about the session
  }
}

const handlers = { snapshot: onSnapshot, tick: onTick };
const socket = openSocket(root.dataset.socket, {
  onMessage: (message) => handlers[message.type]?.(message),
  onState: (state, retryAt) => status.set(state, retryAt),
  allowed: stillSignedIn,
});
element("retry-now").addEventListener("click", () => socket.retryNow());
alerts.load(); // the list is there before the first snapshot; ticks refresh it on changes
for (const button of root.querySelectorAll("[data-hours]")) {
  button.addEventListener("click", () => chooseRange(button));
}
