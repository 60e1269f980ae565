// The alerts panel: open alerts by severity from each tick, the open alerts themselves from
// the API (again whenever the counts change), and Acknowledge / Resolve for those allowed.
import { count, fullTime, labels, t, time } from "./text.js";

const LIMIT = 20;
const epoch = (iso) => (iso == null ? null : Date.parse(iso) / 1000);

export class AlertsPanel {
  constructor(section) {
    this.section = section;
    this.url = section.dataset.list; // absent without monitoring.view_alert
    this.pages = section.dataset.pages; // each alert's own page: /alerts/<code>/
    this.canAct = section.dataset.canAct === "true";
    this.csrf = section.dataset.csrf;
    this.counts = undefined; // the last counts, as JSON, to notice a change
    this.loads = 0;
    this.find = (id) => section.querySelector(`#${id}`);
    this.list = this.find("alert-list");
    if (this.list) this.list.addEventListener("click", (event) => this.onClick(event));
  }

  /** The tick's `alerts` ({severity: n}, or null when they were not evaluated). */
  update(alerts) {
    this.find("alert-counts-unknown").hidden = alerts !== null;
    if (!alerts) return;
    for (const item of this.section.querySelectorAll(".alert-count")) {
      const n = alerts[item.dataset.severity] ?? 0;
      item.textContent = t(`alerts-${item.dataset.severity}`, { count: count(n) });
      item.dataset.count = String(n);
    }
    const key = JSON.stringify(alerts);
    if (key !== this.counts) {
      this.counts = key;
      this.load();
    }
  }

  async load() {
    if (!this.url) return;
    const load = ++this.loads;
    try {
      const response = await fetch(`${this.url}?open=true&limit=${LIMIT}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = await response.json();
      if (load !== this.loads) return; // a later load has already drawn
      this.render(page.results, page.count);
    } catch {
      if (load !== this.loads) return;
      this.showError(t("alerts-unavailable"));
    }
  }

  render(alerts, total) {
    const template = document.getElementById("alert-row");
    this.list.replaceChildren(...alerts.map((alert) => this.row(template, alert)));
    this.find("alerts-empty").hidden = alerts.length > 0;
    const more = this.find("alerts-more");
    more.hidden = total <= alerts.length;
    more.textContent = t("alerts-more", { shown: count(alerts.length), total: count(total) });
  }

  row(template, alert) {
    const item = template.content.firstElementChild.cloneNode(true);
    const field = (name) => item.querySelector(`[data-field="${name}"]`);
    item.dataset.code = alert.code;
    item.dataset.severity = alert.severity;
    field("severity").textContent = labels.severities[alert.severity] ?? alert.severity;
    field("summary").textContent = alert.summary;
    field("summary").href = `${this.pages}${alert.code}/`;
    const since = epoch(alert.fired ?? alert.first_seen);
    const when = field("since");
    when.textContent = t("since", { time: time(since) });
    when.title = fullTime(since);
    if (since != null) when.dateTime = new Date(since * 1000).toISOString();
    field("count").textContent = t("alert-seen", { count: count(alert.count) });
    const acknowledged = alert.status === "acknowledged";
    field("acknowledged").hidden = !acknowledged;
    const acknowledge = item.querySelector('[data-action="acknowledge"]');
    if (acknowledge) acknowledge.hidden = acknowledged;
    return item;
  }

  async onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !this.canAct) return;
    const code = button.closest("[data-code]").dataset.code;
    for (const other of button.parentElement.querySelectorAll("button")) other.disabled = true;
    try {
      const response = await fetch(`${this.url}${code}/${button.dataset.action}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": this.csrf },
        body: "{}",
      });
      if (response.ok) this.showError("");
      else if (response.status === 409) this.showError((await response.json()).detail);
      else throw new Error(`HTTP ${response.status}`);
    } catch {
      this.showError(t("alert-action-failed"));
    }
    await this.load(); // done or refused, the list shows where the alert is now
  }

  showError(message) {
    const error = this.find("alerts-error");
    error.textContent = message;
    error.hidden = !message;
  }
}
