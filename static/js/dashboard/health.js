// The component badges: status in words and colour, latency, reason, since when.
import { fullTime, labels, ms, t, time } from "./text.js";

export function renderHealth(list, entries) {
  for (const entry of entries) {
    const item = list.querySelector(`[data-component="${entry.component}"]`);
    if (!item) continue;
    item.dataset.status = entry.status;
    item.querySelector(".health-status").textContent = labels.statuses[entry.status] ?? entry.status;
    const reason = item.querySelector(".health-reason");
    reason.textContent = entry.reason || "—";
    reason.title = entry.reason || "";
    item.querySelector(".health-latency").textContent = entry.latency_ms == null ? "" : ms(entry.latency_ms);
    const since = item.querySelector(".health-since");
    since.textContent = t("since", { time: time(entry.since) });
    since.title = fullTime(entry.since);
    if (entry.since != null) since.dateTime = new Date(entry.since * 1000).toISOString();
  }
}
