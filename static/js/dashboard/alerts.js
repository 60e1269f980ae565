// The alerts panel: open alerts by severity from each tick, the open alerts themselves from
// the API grouped by rule, the worst first (again whenever the counts change), and
// Acknowledge / Resolve for those allowed.
import { count, fullTime, labels, t, time } from "./text.js";

// Firing and acknowledged, silenced ones included (with their badge), not those held back.
const OPEN = "status=firing&status=acknowledged&held_back=false";
const GROUPS = 20; // kinds of alert shown
const PER_GROUP = 10; // alerts listed when one is expanded
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
    this.expanded = new Set(); // rule codes of the groups opened, kept across reloads
    if (this.list) {
      this.list.addEventListener("click", (event) => this.onClick(event));
      this.list.addEventListener("toggle", (event) => this.onToggle(event), true);
    }
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
      const query = `${OPEN}&groups=${GROUPS}&per_group=${PER_GROUP}`;
      const response = await fetch(`${this.url}groups/?${query}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = await response.json();
      if (load !== this.loads) return; // a later load has already drawn
      this.render(page.results, page.count, page.silenced);
    } catch {
      if (load !== this.loads) return;
      this.showError(t("alerts-unavailable"));
    }
  }

  render(groups, total, silenced) {
    const muted = this.find("alerts-silenced");
    muted.hidden = !silenced;
    muted.textContent = t("alerts-silenced", { count: count(silenced) });
    this.list.replaceChildren(...groups.map((group) => (
      group.count === 1 ? this.row(group.alerts[0]) : this.group(group))));
    this.find("alerts-empty").hidden = groups.length > 0;
    const more = this.find("alerts-more");
    more.hidden = total <= groups.length;
    more.textContent = t("alerts-more", { shown: count(groups.length), total: count(total) });
  }

  group(group) {
    const template = document.getElementById("alert-group");
    const item = template.content.firstElementChild.cloneNode(true);
    const field = (name) => item.querySelector(`[data-field="${name}"]`);
    item.dataset.severity = group.severity;
    item.dataset.rule = group.rule_code;
    field("severity").textContent = labels.severities[group.severity] ?? group.severity;
    field("title").textContent = t("alert-group-title", { count: count(group.count), rule: group.rule });
    this.since(field("since"), epoch(group.latest));
    item.querySelector("ul").replaceChildren(...group.alerts.map((alert) => this.row(alert)));
    const all = field("all");
    all.textContent = t("alert-group-all", { count: count(group.count) });
    all.href = `${this.pages}?${OPEN}&rule=${group.rule_code}`;
    item.querySelector("details").open = this.expanded.has(group.rule_code);
    return item;
  }

  onToggle(event) {
    const group = event.target.closest(".alert-group");
    if (!group) return;
    if (event.target.open) this.expanded.add(group.dataset.rule);
    else this.expanded.delete(group.dataset.rule);
  }

  since(element, seconds) {
    element.textContent = t("since", { time: time(seconds) });
    element.title = fullTime(seconds);
    if (seconds != null) element.dateTime = new Date(seconds * 1000).toISOString();
  }

  row(alert) {
    const template = document.getElementById("alert-row");
    const item = template.content.firstElementChild.cloneNode(true);
    const field = (name) => item.querySelector(`[data-field="${name}"]`);
    item.dataset.code = alert.code;
    item.dataset.severity = alert.severity;
    field("severity").textContent = labels.severities[alert.severity] ?? alert.severity;
    field("summary").textContent = alert.title;
    field("summary").href = `${this.pages}${alert.code}/`;
    this.since(field("since"), epoch(alert.fired ?? alert.first_seen));
    field("tenant").textContent = alert.tenant_name ? t("alert-tenant", { tenant: alert.tenant_name }) : "";
    field("count").textContent = t("alert-seen", { count: count(alert.count) });
    const silenced = field("silenced");
    silenced.hidden = !alert.silenced;
    silenced.textContent = alert.silenced_until
      ? t("alert-silenced-until", { time: time(epoch(alert.silenced_until)) }) : t("alert-silenced");
    const acknowledged = alert.status === "acknowledged";
    field("acknowledged").hidden = !acknowledged;
    const acknowledge = item.querySelector('[data-action="acknowledge"]');
    if (acknowledge) acknowledge.hidden = acknowledged;
    // An incident is resolved with a note, on its page (the summary links there).
    const resolve = item.querySelector('[data-action="resolve"]');
    if (resolve) resolve.hidden = alert.kind === "incident";
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
