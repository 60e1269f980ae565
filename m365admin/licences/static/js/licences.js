// The licences page's chart: assigned vs purchased seats per product (SVG bars: no
// unsafe-eval in the CSP).
import { CONFIG, css, TRANSPARENT } from "./plotting.js";

const data = JSON.parse(document.getElementById("licence-data").textContent);

const bar = (name, y) => ({ type: "bar", name, x: data.products, y, hovertemplate: "%{y:,}<extra>%{fullData.name}</extra>" });

Plotly.newPlot(document.getElementById("licence-chart"), [
  bar(data.labels.purchased, data.purchased),
  bar(data.labels.assigned, data.assigned),
], {
  barmode: "group",
  autosize: true,
  margin: { l: 48, r: 12, t: 8, b: 80 },
  xaxis: { automargin: true, gridcolor: css("--line") },
  yaxis: { rangemode: "tozero", tickformat: ",d", gridcolor: css("--line") },
  legend: { orientation: "h", y: -0.35 },
  ...TRANSPARENT,
}, CONFIG);
