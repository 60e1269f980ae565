// The busiest routes of the last interval, from the tick's requests.routes.
import { count, ms, percent, t } from "./text.js";

function cell(row, text, numeric = false) {
  const td = row.insertCell();
  td.textContent = text;
  if (numeric) td.className = "num";
  return td;
}

// The backend's names for requests that matched no URL pattern or were static files.
const UNMATCHED = "(unmatched)";
const STATIC = "(static)";

function routeName(route) {
  if (route === UNMATCHED) return t("route-unmatched");
  if (route === STATIC) return t("route-static");
  return route ? `/${route}` : t("route-root");
}

export function renderRoutes(body, routes) {
  body.replaceChildren();
  if (!routes?.length) {
    const td = cell(body.insertRow(), t("no-requests"));
    td.colSpan = 6;
    td.className = "muted";
    return;
  }
  for (const route of routes) {
    const row = body.insertRow();
    cell(row, routeName(route.route)).className = "route";
    cell(row, count(route.count), true);
    const errors = cell(row, route.errors ? `${count(route.errors)} (${percent(route.error_rate)})` : "0", true);
    if (route.errors) errors.classList.add("bad");
    cell(row, ms(route.p50), true);
    cell(row, ms(route.p95), true);
    cell(row, ms(route.p99), true);
  }
}
