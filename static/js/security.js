// The security page's chart: events per hour, stacked by type (SVG bars: no unsafe-eval).
const data = JSON.parse(document.getElementById("security-data").textContent);
const element = document.getElementById("security-chart");
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

const byKind = new Map();
const perHour = new Map();
for (const row of data.hourly) {
  if (!byKind.has(row.kind)) byKind.set(row.kind, { x: [], y: [] });
  byKind.get(row.kind).x.push(new Date(row.hour));
  byKind.get(row.kind).y.push(row.count);
  perHour.set(row.hour, (perHour.get(row.hour) ?? 0) + row.count);
}
// Counts are whole: below 6 a stack, plotly would tick every 0.5, which "d" prints as
// "0 1 1 2 2"; from 6 on its own steps are whole.
const wholeTicks = Math.max(0, ...perHour.values()) < 6 ? { dtick: 1 } : {};

const traces = [...byKind].map(([kind, series]) => ({
  type: "bar",
  name: data.kinds[kind] ?? kind,
  x: series.x,
  y: series.y,
  hovertemplate: "%{y}<extra>%{fullData.name}</extra>",
}));

Plotly.newPlot(element, traces, {
  barmode: "stack",
  autosize: true,
  margin: { l: 40, r: 12, t: 8, b: 40 },
  xaxis: { type: "date", range: [new Date(data.since), new Date(data.until)],
           gridcolor: css("--line") },
  yaxis: { rangemode: "tozero", tickformat: "d", gridcolor: css("--line"), ...wholeTicks },
  legend: { orientation: "h", y: -0.2 },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)",
}, { displayModeBar: false, responsive: true });
