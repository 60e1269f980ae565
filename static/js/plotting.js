// What every Plotly chart shares: times in the zone the page names, dates and numbers in the
// page's language, colours from the stylesheet, a transparent background.
//
// Plotly draws a Date in the browser's own zone, which need not be the reader's chosen one
// (/account/time-zone/, named in the top bar): dates go to Plotly as wall-clock strings in
// that zone instead.
const ZONE = document.body.dataset.timeZone || undefined;
const LANG = document.documentElement.lang || "en";
const parts = new Intl.DateTimeFormat("en-CA", {
  timeZone: ZONE, hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

// The dashboard converts thousands of points a redraw, most of them seen before.
const seen = new Map();

/** "2026-12-06 09:30:00": a Date (or epoch milliseconds) on the page zone's clock. */
export function wallClock(date) {
  const ms = date.valueOf();
  let text = seen.get(ms);
  if (text === undefined) {
    const p = {};
    for (const { type, value } of parts.formatToParts(ms)) p[type] = value;
    text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
    if (seen.size > 20000) seen.clear();
    seen.set(ms, text);
  }
  return text;
}

// plotly.min.js bundles English only: its Japanese month and day names, and axis dates written
// the Japanese way ("12月5日", "2026年12月").
const MONTHS = Array.from({ length: 12 }, (_, i) => `${i + 1}月`);
Plotly.register({
  moduleType: "locale",
  name: "ja",
  dictionary: {},
  format: {
    days: ["日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"],
    shortDays: ["日", "月", "火", "水", "木", "金", "土"],
    months: MONTHS,
    shortMonths: MONTHS,
    periods: ["午前", "午後"],
    date: "%Y/%m/%d",
    year: "%Y年",
    month: "%Y年%b",
    dayMonth: "%b%-d日",
    dayMonthYear: "%Y年%b%-d日",
  },
});

/** A colour (or any custom property) of the stylesheet, e.g. css("--line"). */
export const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** Layout: the chart on the page's own background. */
export const TRANSPARENT = { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" };

/** Plotly's config for a static chart in this page's language. */
export const CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false, locale: LANG };
