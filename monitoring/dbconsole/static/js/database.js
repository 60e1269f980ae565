// The database console: three small charts (size growth, the top queries' share of time,
// connections by state) and the per-table "Measure bloat" buttons. SVG traces only (no
// WebGL, which would need 'unsafe-eval' in the CSP).
import { CONFIG, css, wallClock } from "./plotting.js";

const data = JSON.parse(document.getElementById("database-charts").textContent);
const LANG = document.documentElement.lang || undefined;
const decimal = new Intl.NumberFormat(LANG, { maximumFractionDigits: 1 });

function layout(extra) {
  const grid = css("--line");
  return {
    autosize: true,
    margin: { l: 8, r: 12, t: 8, b: 28 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { size: 11 },
    showlegend: false,
    ...extra,
    xaxis: { gridcolor: grid, automargin: true, fixedrange: true, ...extra.xaxis },
    yaxis: { gridcolor: grid, automargin: true, fixedrange: true, ...extra.yaxis },
  };
}

const DAY_MS = 86400000;

function drawSizes(element) {
  const x = data.sizes.captured.map((at) => new Date(at));
  const clock = x.map(wallClock); // the page zone's clock (plotting.js)
  const traces = Object.entries(data.sizes.tables).map(([name, bytes]) => ({
    type: "scatter", mode: x.length > 1 ? "lines" : "markers",
    name: name.replace(/^public\./, ""), x: clock, y: bytes, connectgaps: false,
    hovertemplate: "%{x|%Y-%m-%d}: %{y:.3~s}B<extra>%{fullData.name}</extra>",
  }));
  // Snapshots are daily: with one so far, show the day around it rather than milliseconds.
  const range = x.length > 1 ? {} : { range: [wallClock(x[0] - DAY_MS), wallClock(x[0].getTime() + DAY_MS)] };
  Plotly.newPlot(element, traces, layout({
    showlegend: true,
    legend: { orientation: "h", x: 0, y: -0.15, yanchor: "top", font: { size: 10 } },
    margin: { l: 8, r: 12, t: 8, b: 8 },
    // Whole days (a tick every 12 hours would print each date twice) until they get crowded.
    xaxis: { type: "date", tickformat: "%m-%d", ...range,
             ...(x[x.length - 1] - x[0] < 10 * DAY_MS ? { dtick: DAY_MS } : {}) },
    yaxis: { rangemode: "tozero", tickformat: "~s", ticksuffix: "B" },
  }), CONFIG);
}

// Short labels on the axis (the chart is narrow); the whole (truncated) text on hover.
const shorten = (text, length = 28) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
};

function drawQueries(element) {
  const rows = [...data.queries].reverse(); // the biggest share on top
  const length = element.clientWidth < 400 ? 16 : 28; // labels leave the bars room on a phone
  Plotly.newPlot(element, [{
    type: "bar", orientation: "h",
    x: rows.map((row) => row.percent ?? 0),
    y: rows.map((row, index) => `${rows.length - index}. ${shorten(row.query, length)}`),
    customdata: rows.map((row) => row.query.replace(/\s+/g, " ")),
    marker: { color: css("--accent") },
    hovertemplate: "%{x:.1f} %<br>%{customdata}<extra></extra>",
  }], layout({
    xaxis: { rangemode: "tozero", ticksuffix: " %", nticks: 5 },
    yaxis: { tickfont: { family: "ui-monospace, monospace", size: 10 } },
  }), CONFIG);
}

function drawConnections(element) {
  const byState = new Map();
  for (const row of data.connections) {
    byState.set(row.state, (byState.get(row.state) ?? 0) + row.connections);
  }
  const wholeTicks = Math.max(0, ...byState.values()) < 6 ? { dtick: 1 } : {};
  Plotly.newPlot(element, [{
    type: "bar", x: [...byState.keys()], y: [...byState.values()],
    marker: { color: css("--accent") },
    hovertemplate: "%{x}: %{y:,}<extra></extra>",
  }], layout({
    xaxis: { type: "category" },
    yaxis: { rangemode: "tozero", tickformat: ",d", ...wholeTicks },
  }), CONFIG);
}

for (const [id, draw] of [["db-chart-sizes", drawSizes], ["db-chart-queries", drawQueries],
                          ["db-chart-connections", drawConnections]]) {
  const element = document.getElementById(id);
  if (element) draw(element);
}

// Measure bloat: pgstattuple where installed, an estimate from dead rows otherwise.
const template = document.getElementById("database-text");
const strings = {};
for (const span of template ? template.content.querySelectorAll("[data-key]") : []) {
  strings[span.dataset.key] = span.textContent;
}
const t = (key, values = {}) =>
  (strings[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

async function measure(button) {
  const output = button.parentElement.querySelector(".db-bloat-result");
  button.disabled = true;
  output.className = "db-bloat-result muted";
  output.textContent = t("measuring");
  try {
    const table = button.closest("tr").dataset.table;
    const url = document.getElementById("tables").dataset.bloatUrl
      .replace("TABLE", encodeURIComponent(table));
    const response = await fetch(url, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail ?? `HTTP ${response.status}`);
    output.className = "db-bloat-result";
    output.textContent = body.measured
      ? t("measured", { dead: decimal.format(body.dead_percent), free: decimal.format(body.free_percent) })
      : t("estimated", { dead: decimal.format(body.dead_percent) });
    if (body.note) output.title = body.note;
    button.hidden = true;
  } catch (error) {
    output.className = "db-bloat-result error";
    output.textContent = t("failed", { reason: error.message });
    button.disabled = false;
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.db-measure");
  if (button) measure(button);
});
