// The threats page's chart: detection events per day, stacked by detection (SVG bars).
const data = JSON.parse(document.getElementById("threats-data").textContent);
const element = document.getElementById("threats-chart");
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

const traces = data.series.map((series) => ({
  type: "bar",
  name: series.label,
  x: data.days,
  y: series.counts,
  hovertemplate: "%{x|%Y-%m-%d}: %{y}<extra>%{fullData.name}</extra>",
}));

Plotly.newPlot(element, traces, {
  barmode: "stack",
  autosize: true,
  margin: { l: 40, r: 12, t: 8, b: 40 },
  xaxis: { type: "date", tickformat: "%m-%d", gridcolor: css("--line") },
  yaxis: { rangemode: "tozero", tickformat: "d", gridcolor: css("--line") },
  legend: { orientation: "h", y: -0.2 },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)",
}, { displayModeBar: false, responsive: true });
