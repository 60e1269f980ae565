// The page's words and numbers: translated strings come from the template, formats from Intl.

const LANG = document.documentElement.lang || undefined;
const strings = {};
for (const span of document.getElementById("dashboard-text").content.querySelectorAll("[data-key]")) {
  strings[span.dataset.key] = span.textContent;
}
export const labels = JSON.parse(document.getElementById("dashboard-labels").textContent);

/** The translated string `key`, with its {placeholders} filled in. */
export function t(key, values = {}) {
  return (strings[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

const formats = new Map();
function format(options) {
  const key = JSON.stringify(options);
  if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(LANG, options));
  return formats.get(key);
}

const DASH = "—";
const unit = (value, name, digits) =>
  value == null ? DASH : format({ style: "unit", unit: name, maximumFractionDigits: digits }).format(value);

export const count = (value) => (value == null ? DASH : format({}).format(value));
export const percent = (value) => unit(value, "percent", 1);
export const ms = (value) => unit(value, "millisecond", value >= 100 ? 0 : 1);

// Decimal multiples, as disks are sold (and as the charts' SI ticks read).
const SIZES = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte"];
export function bytes(value) {
  if (value == null) return DASH;
  let index = 0;
  while (Math.abs(value) >= 1000 && index < SIZES.length - 1) {
    value /= 1000;
    index += 1;
  }
  return unit(value, SIZES[index], value >= 100 ? 0 : 1);
}

// In the zone the page names (the reader's preference, base.html), not the browser's.
const ZONE = document.body.dataset.timeZone || undefined;
const clock = new Intl.DateTimeFormat(LANG, { timeStyle: "short", timeZone: ZONE });
const clockSeconds = new Intl.DateTimeFormat(LANG, { timeStyle: "medium", timeZone: ZONE });
const dayAndClock = new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeStyle: "short", timeZone: ZONE });
const full = new Intl.DateTimeFormat(LANG, { dateStyle: "full", timeStyle: "long", timeZone: ZONE });
const day = new Intl.DateTimeFormat("en-CA", { dateStyle: "short", timeZone: ZONE });

/** A time of day for today's epoch seconds, with the date for older ones. */
export function time(epoch, { seconds = false } = {}) {
  if (epoch == null) return DASH;
  const date = new Date(epoch * 1000);
  if (day.format(date) !== day.format(new Date())) return dayAndClock.format(date);
  return (seconds ? clockSeconds : clock).format(date);
}
export const fullTime = (epoch) => (epoch == null ? "" : full.format(new Date(epoch * 1000)));
