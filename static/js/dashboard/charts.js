// The Plotly charts: a full draw with Plotly.react, then each tick with Plotly.extendTraces.
// SVG traces only: WebGL ones (scattergl) would need 'unsafe-eval' in the CSP.
import { CONFIG, css, TRANSPARENT, wallClock } from "../plotting.js";
import { t } from "./text.js";

const SPECS = {
  cpu: { source: "metrics", unit: "percent", series: ["cpu"] },
  memory: { source: "metrics", unit: "percent", series: ["memory", "swap"] },
  disk: { source: "metrics", unit: "percent", series: ["disk"] },
  "disk-io": { source: "metrics", unit: "rate", series: ["disk_read", "disk_write"] },
  network: { source: "metrics", unit: "rate", series: ["net_in", "net_out"] },
  app: { source: "metrics", unit: "bytes", series: ["app_rss"] },
  latency: { source: "requests", unit: "ms", series: ["p50", "p95", "p99"] },
  throughput: { source: "requests", unit: "rps", series: ["rps"] },
  errors: { source: "requests", unit: "errors", series: ["error_rate"] },
};

const FROM_ZERO = { rangemode: "tozero" };
const UNITS = {
  percent: { axis: { range: [0, 100], ticksuffix: " %" }, hover: "%{y:.1f} %" },
  rate: { axis: { ...FROM_ZERO, tickformat: "~s", ticksuffix: "B/s" }, hover: "%{y:.3~s}B/s" },
  bytes: { axis: { ...FROM_ZERO, tickformat: "~s", ticksuffix: "B" }, hover: "%{y:.3~s}B" },
  ms: { axis: { ...FROM_ZERO, ticksuffix: " ms" }, hover: "%{y:,.1f} ms" },
  rps: { axis: { ...FROM_ZERO, ticksuffix: "/s" }, hover: "%{y:,.2f}/s" },
  // At least 0–5 %, so one failed request in a quiet minute does not look like an outage.
  errors: { axis: { autorangeoptions: { include: [0, 5] }, ticksuffix: " %" }, hover: "%{y:.2f} %" },
};

// Colours (css(), plotting.js) live in dashboard.css, beside the rest of the palette.

// On the clock of the zone the page names, not the browser's (plotting.js).
const dates = (seconds) => seconds.map((s) => wallClock(s * 1000));
const timeRange = (since, until) => [wallClock(since * 1000), wallClock(until * 1000)];

function traces(spec, columns) {
  const x = dates(columns.column("t"));
  const single = spec.series.length === 1;
  return spec.series.map((name, index) => {
    const color = css(`--series-${index + 1}`);
    return {
      type: "scatter",
      mode: "lines",
      name: t(`series-${name}`),
      // Copies: Plotly keeps the arrays it is given, and the Columns keep growing.
      x: [...x],
      y: [...columns.column(name)],
      line: { color, width: 2 },
      fill: single ? "tozeroy" : "none",
      fillcolor: `${color}1f`,
      hovertemplate: UNITS[spec.unit].hover,
    };
  });
}

function layout(spec, range) {
  const multi = spec.series.length > 1;
  const grid = css("--line");
  return {
    autosize: true,
    margin: { l: 8, r: 12, t: multi ? 26 : 8, b: 28 },
    ...TRANSPARENT,
    font: { family: getComputedStyle(document.body).fontFamily, size: 12, color: css("--muted") },
    showlegend: multi,
    legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom", font: { color: css("--text") } },
    hovermode: "x unified",
    // The paper is transparent, and the unified hover box would be too.
    hoverlabel: { bgcolor: css("--card"), bordercolor: grid, font: { color: css("--text") } },
    dragmode: false,
    xaxis: {
      type: "date", range, fixedrange: true, showgrid: false,
      tickformat: "%H:%M", hoverformat: "%H:%M:%S", linecolor: grid, nticks: 6,
    },
    yaxis: { fixedrange: true, gridcolor: grid, zeroline: false, automargin: true, nticks: 5, ...UNITS[spec.unit].axis },
  };
}

/** Why a chart has nothing to show, or null when it has. */
function emptyReason(spec, columns) {
  if (columns.length < 2) return "collecting";
  const known = spec.series.some((name) => columns.column(name).some((v) => v != null));
  return known ? null : "unavailable";
}

export class Charts {
  constructor(root) {
    this.charts = [...root.querySelectorAll("[data-chart]")].map((element) => ({
      element,
      spec: SPECS[element.dataset.chart],
      empty: root.querySelector(`[data-empty-for="${element.dataset.chart}"]`),
    }));
  }

  /** Draws every chart from `data` ({metrics, requests} Columns) over [since, until]. */
  draw(data, since, until) {
    for (const { element, spec, empty } of this.charts) {
      const columns = data[spec.source];
      Plotly.react(element, traces(spec, columns), layout(spec, timeRange(since, until)), CONFIG);
      this.#showEmpty(empty, spec, columns);
    }
  }

  /** Appends the new rows (already in `data`, trimmed) and slides every chart's window. */
  extend(rows, data, since, until) {
    for (const { element, spec, empty } of this.charts) {
      const row = rows[spec.source];
      const columns = data[spec.source];
      if (row) {
        const indices = spec.series.map((_, index) => index);
        const update = {
          x: spec.series.map(() => [wallClock(row.t * 1000)]),
          y: spec.series.map((name) => [row[name] ?? null]),
        };
        // maxPoints drops from the start what trim() dropped from the Columns.
        Plotly.extendTraces(element, update, indices, columns.length);
      }
      Plotly.relayout(element, { "xaxis.range": timeRange(since, until) });
      this.#showEmpty(empty, spec, columns);
    }
  }

  #showEmpty(empty, spec, columns) {
    const reason = emptyReason(spec, columns);
    empty.hidden = reason === null;
    if (reason) empty.textContent = t(reason);
  }
}
