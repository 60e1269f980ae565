// A stacked bar chart of counts over dates, shared by the security and threats pages
// (SVG bars: no unsafe-eval in the CSP).
import { CONFIG, css, TRANSPARENT, wallClock } from "./plotting.js";

// `series`: [{name, x: [Date or "YYYY-MM-DD"], y: [count]}]; `xaxis`: what differs (range or
// tick format). Dates are drawn on the page zone's clock.
export function drawStackedBars(element, series, xaxis, hovertemplate) {
  const totals = new Map();
  for (const { x, y } of series) {
    x.forEach((at, i) => totals.set(at.valueOf(), (totals.get(at.valueOf()) ?? 0) + y[i]));
  }
  // Counts are whole: below 6 a stack, plotly would tick every 0.5, which "d" prints as
  // "0 1 1 2 2"; from 6 on its own steps are whole.
  const wholeTicks = Math.max(0, ...totals.values()) < 6 ? { dtick: 1 } : {};
  const onClock = (at) => (at instanceof Date ? wallClock(at) : at);
  const traces = series.map(({ name, x, y }) => ({ type: "bar", name, x: x.map(onClock), y, hovertemplate }));
  const range = xaxis.range ? { range: xaxis.range.map(onClock) } : {};
  Plotly.newPlot(element, traces, {
    barmode: "stack",
    autosize: true,
    margin: { l: 40, r: 12, t: 8, b: 40 },
    xaxis: { type: "date", gridcolor: css("--line"), ...xaxis, ...range },
    yaxis: { rangemode: "tozero", tickformat: ",d", gridcolor: css("--line"), ...wholeTicks },
    legend: { orientation: "h", y: -0.2 },
    ...TRANSPARENT,
  }, CONFIG);
}
