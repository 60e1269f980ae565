// A statement's history on its plan page: calls and mean time per 5-minute snapshot interval.
// SVG traces only (no WebGL, which would need 'unsafe-eval' in the CSP).
import { CONFIG, css, wallClock } from "./plotting.js";

const history = JSON.parse(document.getElementById("query-history").textContent);
const x = history.captured.map((at) => new Date(at));
const clock = x.map(wallClock); // the page zone's clock (plotting.js)
const INTERVAL_MS = 5 * 60 * 1000;
// With one interval so far, show the ten minutes around it rather than milliseconds.
const range = x.length > 1 ? {} : { range: [wallClock(x[0] - INTERVAL_MS), wallClock(x[0].getTime() + INTERVAL_MS)] };

function draw(id, y, format) {
  const element = document.getElementById(id);
  if (!element) return;
  Plotly.newPlot(element, [{
    type: "scatter", mode: x.length > 1 ? "lines+markers" : "markers", x: clock, y,
    connectgaps: false, line: { color: css("--accent") }, marker: { color: css("--accent"), size: 4 },
    hovertemplate: `%{x|%Y-%m-%d %H:%M}: %{y:${format}}<extra></extra>`,
  }], {
    autosize: true, margin: { l: 8, r: 12, t: 8, b: 28 }, showlegend: false, font: { size: 11 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: { type: "date", tickformat: "%H:%M\n%m-%d", gridcolor: css("--line"), automargin: true,
             fixedrange: true, ...range },
    yaxis: { rangemode: "tozero", gridcolor: css("--line"), automargin: true, fixedrange: true },
  }, CONFIG);
}

draw("db-chart-calls", history.calls, ",d");
draw("db-chart-mean", history.mean_ms, ",.2f");
